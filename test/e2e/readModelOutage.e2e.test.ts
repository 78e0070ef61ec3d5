import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../platform/temporal/devServer';
import { until } from '../helpers/poll';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';

/**
 * Partner reads come from the PostgreSQL read model (issue 10): with every worker stopped and
 * Temporal itself down every visit (ended, booked, unpaid) reads as it did before. The Temporal dev server is this file's own, so it can be stopped.
 */
let server: DevServer | undefined;
let d: HospitalDriver;
let dir: string;
let user: string;
const previousAddress = process.env.TEMPORAL_ADDRESS;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'causeway-read-model-'));
  server = await startDevServer({ pathVar: process.env.PATH ?? '', dbFilename: path.join(dir, 'temporal.db'), port: await freePort() });
  process.env.TEMPORAL_ADDRESS = server.address;
  d = await startHospitalDriver({
    policy: { holdMinutes: 30, fullRefundCutoffMinutes: 60, noShowGraceMinutes: 60, reminderLeadMinutes: 60, visitQuietCloseSeconds: 3 },
  });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
  await server?.stop();
  process.env.TEMPORAL_ADDRESS = previousAddress;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const book = async (slot: number): Promise<string> => {
  const r = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slot] });
  expect(r.status).toBe(201);
  return r.body.bookingRef;
};
const read = (ref: string, what = '') => d.api<Record<string, unknown>>('GET', `/v1/visits/${ref}${what}`, user);

describe('reads from the read model', () => {
  const refs: Record<'cancelled' | 'booked' | 'unpaid', string> = { cancelled: '', booked: '', unpaid: '' };
  const before = new Map<string, unknown>();

  it('reads every visit with the worker stopped and Temporal down', async () => {
    refs.cancelled = await book(0);
    await d.waitStage(refs.cancelled, user, 'awaiting_payment');
    expect((await d.api('POST', `/v1/visits/${refs.cancelled}/cancel`, user)).status).toBe(200);
    await d.waitStage(refs.cancelled, user, 'cancelled');
    refs.booked = await book(1);
    await d.payOpen(refs.booked, user, 'registration');
    await d.waitStage(refs.booked, user, 'booked');
    refs.unpaid = await book(2);
    await d.waitStage(refs.unpaid, user, 'awaiting_payment');
    // The stage is written before the payment's QR order: wait for the journey to settle on the QR.
    await until('the unpaid visit waiting on its QR code', async () => {
      const v = (await read(refs.unpaid)).body as { registration?: { status?: string } };
      return v.registration?.status === 'awaiting_payment';
    });
    // Every worker (the driver runs two): one left running could still write a view after the snapshot.
    await Promise.all(d.p.workers.map((w) => w.shutdown()));
    for (const ref of Object.values(refs)) before.set(ref, (await read(ref)).body);
    await server?.stop();
    server = undefined;

    for (const [name, ref] of Object.entries(refs)) {
      const visit = await read(ref);
      expect({ name, status: visit.status }).toEqual({ name, status: 200 });
      expect(visit.body).toEqual(before.get(ref));
      expect(visit.body).toMatchObject({ stage: name === 'unpaid' ? 'awaiting_payment' : name });
      const queue = await read(ref, '/queue');
      expect(queue).toEqual({ status: 200, body: { status: 'unknown', position: null, etaMinutes: null } });
    }
  });
});
