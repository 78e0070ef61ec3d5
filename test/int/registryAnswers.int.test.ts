import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../../domain/errors';
import { HttpCompanyRegistry, startRegistrySimulator, type RegistrySimulator } from '../../integrations/registry';
import { rejection } from '../helpers/payment';

/** Issue 12: the registry adapter over HTTP against its simulator; anything but a well-formed answer is "unavailable" (retried), never a verdict. */
const KEY = 'registry-int-key';
const FOUND = '91350100M000100Y43';
const REVOKED = '91110000600037341L';
let sim: RegistrySimulator;
let garbage: Server;
let garbageUrl: string;

beforeAll(async () => {
  sim = await startRegistrySimulator({ apiKey: KEY, entries: { [FOUND]: { status: 'found', legalRepresentative: '张三丰' } } });
  sim.register(REVOKED, { status: 'revoked', legalRepresentative: '李四' });
  garbage = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":{"status":"found"}}');
  });
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim?.stop();
  await new Promise((r) => garbage?.close(r));
});

const registry = (baseUrl = sim.url, apiKey = KEY) => new HttpCompanyRegistry({ baseUrl, apiKey, timeoutMs: 2_000 });

it('answers found and revoked with the legal representative on record, and any other code not found', async () => {
  expect(await registry().lookup(FOUND)).toEqual({ status: 'found', legalRepresentative: '张三丰' });
  expect(await registry().lookup(REVOKED)).toEqual({ status: 'revoked', legalRepresentative: '李四' });
  expect(await registry().lookup('91310000MA1FL4B24G')).toEqual({ status: 'not_found' });
});

it('treats an outage, a refused key, a malformed answer and no listener as unavailable (retryable)', async () => {
  sim.setDown(true);
  try {
    expect((await rejection(registry().lookup(FOUND))).code).toBe(ErrorCode.CounterpartUnavailable);
  } finally {
    sim.setDown(false);
  }
  for (const r of [registry(sim.url, 'wrong-key'), registry(garbageUrl), registry('http://127.0.0.1:1')]) {
    const err = await rejection(r.lookup(FOUND));
    expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
    expect(err.retryable).toBe(true);
  }
});
