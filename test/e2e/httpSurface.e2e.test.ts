import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { createApp } from '../../api/app';
import { apiDeps } from '../../api/server';
import { sweepOnce } from '../../api/http/sweep';
import { recentAudit } from '../../db/repositories/audit';
import { createDataSource } from '../../db/dataSource';
import { signRequest } from '../../domain/requestSignature';
import { toPlatformTime } from '../../integrations/payment/alipay/time';
import { signNotification } from '../../integrations/payment/simulator/signing';
import { createLogger } from '../../platform/logger';
import { createTestIdNumber } from '../helpers/factories';
import { LogCapture } from '../helpers/logCapture';
import { startTestPlatform, TEST_KEYS, type TestPlatform } from '../helpers/platform';

/** Issue 8, smaller defects of the HTTP surface: each answered by a real API over a real socket. */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ env: { RATE_INSTITUTION_PER_SECOND: '3', RATE_INSTITUTION_BURST: '3' } });
});
afterAll(async () => {
  await p?.stop();
});

const asPartner = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${p.partner.apiKey}`, ...extra });
const asOperator = { authorization: `Bearer ${TEST_KEYS.operatorToken}` };
const person = () => ({ legalName: 'Zhou Min', idNumber: createTestIdNumber(), phone: '13811110000' });

async function problemOf(res: Response): Promise<{ status: number; code: string; contentType: string; body: Record<string, unknown> }> {
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, code: String(body.code), contentType: res.headers.get('content-type') ?? '', body };
}

describe('hostile request bodies and headers', () => {
  it('answers body-parser refusals with 4xx problem+json, never a 500', async () => {
    const manyParams = Array.from({ length: 1500 }, (_, i) => `k${i}=v`).join('&');
    const tooMany = await problemOf(
      await fetch(`${p.api.url}/v1/payments/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: manyParams,
      }),
    );
    expect(tooMany).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(tooMany.contentType).toContain('application/problem+json');

    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${p.api.url}/v1/users`, { method: 'POST', headers: asPartner({ 'content-type': 'application/json', ...headers }), body });
    expect(await problemOf(await post({}, JSON.stringify({ legalName: 'x'.repeat(300_000) })))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(await problemOf(await post({ 'content-encoding': 'compress' }, '{}'))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
    });
    expect(await problemOf(await post({ 'content-type': 'application/json; charset=iso-8859-1' }, '{}'))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
    });
  });

  it('refuses a JSON depth bomb with a 422 naming the body, and keeps serving', async () => {
    const depth = 60_000;
    const res = await fetch(`${p.api.url}/v1/users`, {
      method: 'POST',
      headers: asPartner({ 'content-type': 'application/json' }),
      body: `{"legalName":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    });
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(problem.body.errors).toEqual([{ field: 'body', message: expect.stringContaining('nested deeper') }]);
    expect((await fetch(`${p.api.url}/healthz`)).status).toBe(200);
  });

  it('answers oversized headers with 431 and repeated query parameters with a 422, and keeps serving', async () => {
    const big = await fetch(`${p.api.url}/healthz`, { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
    const repeated = await fetch(`${p.api.url}/v1/hospitals/h1/doctors?departmentId=a&departmentId=b`, { headers: asPartner() });
    expect(await problemOf(repeated)).toMatchObject({ status: 422, code: 'validation_failed' });
    expect((await fetch(`${p.api.url}/healthz`)).status).toBe(200);
  });
});

describe('readiness', () => {
  it('says only "unavailable" for a failed check; the reason goes to the log', async () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', name: 'readyz-test', destination: logs.stream });
    const broken = createDataSource('postgres://readyz-secret-user@127.0.0.1:1/nowhere');
    const { app } = createApp({ ...apiDeps(p.services), db: broken, logger });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { database: 'unavailable', temporal: 'ok' } });
      expect(logs.text()).toContain('readiness check failed');
    } finally {
      server.close();
    }
  });
});

describe('signed institution routes', () => {
  const known = `inst-${randomUUID().slice(0, 8)}`;
  const send = async (institution: string, secret: string) => {
    const body = JSON.stringify({ message: 'MSH|^~\\&|X|Y' });
    const timestamp = String(Date.now());
    const nonce = randomUUID();
    const res = await fetch(`${p.api.url}/v1/institutions/hl7`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-causeway-institution': institution,
        'x-causeway-timestamp': timestamp,
        'x-causeway-nonce': nonce,
        'x-causeway-signature': signRequest(secret, 'POST', '/v1/institutions/hl7', timestamp, nonce, body),
      },
      body,
    });
    return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
  };
  beforeAll(async () => {
    await p.services.db.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'hospital', 'Known', 'Asia/Shanghai', $2)`,
      [known, p.services.pii.encrypt('the-real-secret')],
    );
  });

  it('answer an unknown institution exactly like a known one with a bad signature', async () => {
    const unknown = await send(`nobody-${randomUUID().slice(0, 8)}`, 'a-guessed-secret');
    const badSignature = await send(known, 'a-guessed-secret');
    expect(unknown.status).toBe(401);
    expect(unknown).toEqual(badSignature);
  });

  it('limit the request rate of an institution with 429 and Retry-After, counted only after its signature', async () => {
    // Forged requests naming the institution do not spend its budget.
    for (let i = 0; i < 10; i++) expect((await send(known, 'a-guessed-secret')).status).toBe(401);
    const burst = await Promise.all(Array.from({ length: 20 }, () => send(known, 'the-real-secret')));
    const statuses = burst.map((r) => r.status);
    // Authenticated (then refused for its content: MSH-4 names someone else) until the budget is spent.
    expect(statuses.filter((s) => s === 403).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 403 || s === 429)).toBe(true);
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.retryAfter)).toBeGreaterThan(0);
  });
});

describe('idempotency keys and nonces', () => {
  const register = (key: string, body: object) =>
    fetch(`${p.api.url}/v1/users`, {
      method: 'POST',
      headers: asPartner({ 'content-type': 'application/json', 'idempotency-key': key }),
      body: JSON.stringify(body),
    });
  const hashOf = (body: object) =>
    createHash('sha256')
      .update('POST /v1/users\n')
      .update(Buffer.from(JSON.stringify(body)))
      .digest('hex');
  const principal = () => `partner:${p.partner.id}:`;

  it('lets a retry take over a key a crashed request left in progress once its lease is over', async () => {
    const body = person();
    const key = randomUUID();
    // What a process killed mid-request leaves behind: no answer, a lease long over.
    await p.services.db.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, created_at, lease_until)
       VALUES ($1, $2, $3, now() - interval '10 minutes', now() - interval '5 minutes')`,
      [principal(), key, hashOf(body)],
    );
    const retry = await register(key, body);
    expect(retry.status).toBe(202);
    // A live lease still answers 409, and a different body under the taken-over key is still refused.
    const live = randomUUID();
    const liveBody = person();
    await p.services.db.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, lease_until) VALUES ($1, $2, $3, now() + interval '5 minutes')`,
      [principal(), live, hashOf(liveBody)],
    );
    expect((await problemOf(await register(live, liveBody))).status).toBe(409);
    expect((await problemOf(await register(key, person()))).code).toBe('idempotency_key_reused');
  });

  it('forgets keys after their TTL, and the sweep deletes expired keys and nonces', async () => {
    const key = randomUUID();
    await p.services.db.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, response_status, response_body, created_at)
       VALUES ($1, $2, 'old-request', 202, '{}'::jsonb, now() - interval '3 days')`,
      [principal(), key],
    );
    expect((await register(key, person())).status).toBe(202);

    const oldKey = randomUUID();
    const oldNonce = randomUUID();
    const freshNonce = randomUUID();
    await p.services.db.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, created_at) VALUES ($1, $2, 'x', now() - interval '3 days')`,
      [principal(), oldKey],
    );
    await p.services.db.query(
      `INSERT INTO request_nonces (institution_id, nonce, seen_at) VALUES ('sweep-test', $1, now() - interval '1 hour'), ('sweep-test', $2, now())`,
      [oldNonce, freshNonce],
    );
    const swept = await sweepOnce(p.services.db, p.services.config);
    expect(swept.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(swept.nonces).toBeGreaterThanOrEqual(1);
    expect(await p.services.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [oldKey])).toHaveLength(0);
    const nonces: Array<{ nonce: string }> = await p.services.db.query(
      `SELECT nonce FROM request_nonces WHERE institution_id = 'sweep-test'`,
    );
    expect(nonces.map((n) => n.nonce)).toEqual([freshNonce]);
  });
});

describe('operator routes', () => {
  it('write every action to the audit log, with its outcome', async () => {
    const list = await fetch(`${p.api.url}/v1/operator/inbox/failed`, { headers: asOperator });
    expect(list.status).toBe(200);
    const [row]: Array<{ id: string }> = await p.services.db.query(
      `INSERT INTO inbox_messages (channel, sender, message_id, body_enc, status, error)
       VALUES ('hl7', 'audit-test', $1, $2, 'failed', 'test') RETURNING id`,
      [randomUUID(), p.services.pii.encrypt('not HL7 at all')],
    );
    const replay = await fetch(`${p.api.url}/v1/operator/inbox/${row?.id}/reprocess`, { method: 'POST', headers: asOperator });
    expect(replay.status).toBe(200);
    const missing = await fetch(`${p.api.url}/v1/operator/reconciliation/1999-01-01`, { headers: asOperator });
    expect(missing.status).toBe(404);

    const [replayed] = await recentAudit(p.services.db, { action: 'inbox.replay', subject: `inbox:${row?.id}` });
    expect(replayed).toMatchObject({ actor: 'operator:operator-1', details: { outcome: 'ok', status: 'failed' } });
    const [listed] = await recentAudit(p.services.db, { action: 'inbox.list_failed' });
    expect(listed).toMatchObject({ actor: 'operator:operator-1', details: { outcome: 'ok' } });
    const [read] = await recentAudit(p.services.db, { action: 'reconciliation.read', subject: 'bill-date:1999-01-01' });
    expect(read).toMatchObject({ details: { outcome: 'error', code: 'not_found' } });
  });
});

describe('payment notifications', () => {
  it('keep a notification for another seller or of another type as failed, and never apply it', async () => {
    const post = async (over: Record<string, string>) => {
      const outTradeNo = `N${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      await p.services.db.query(
        `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, status)
         VALUES ($1, $2, 'registration', 'h-notify', 'u_notify', 2500, 'CNY', 'created')`,
        [outTradeNo, `journey-${outTradeNo}`],
      );
      const notifyId = randomUUID().replace(/-/g, '');
      const params = signNotification(
        {
          notify_time: toPlatformTime(new Date()),
          notify_type: 'trade_status_sync',
          notify_id: notifyId,
          app_id: p.payment.sim.appId,
          charset: 'utf-8',
          version: '1.0',
          seller_id: p.services.config.PAYMENT_SELLER_ID,
          trade_no: `2024${Date.now()}`,
          out_trade_no: outTradeNo,
          trade_status: 'TRADE_SUCCESS',
          total_amount: '25.00',
          ...over,
        },
        p.payment.keys.platform.privateKeyPem,
      );
      const res = await fetch(`${p.api.url}/v1/payments/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
      const [row]: Array<{ status: string; error: string | null }> = await p.services.db.query(
        `SELECT status, error FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = $1`,
        [notifyId],
      );
      return row ?? { status: 'missing', error: null };
    };
    expect(await post({ seller_id: '2088999999999999' })).toEqual({ status: 'failed', error: 'seller_id is not this merchant' });
    expect(await post({ notify_type: 'trade_status_other' })).toEqual({ status: 'failed', error: 'notify_type is not trade_status_sync' });
    expect((await post({})).status).toBe('applied');
  });
});

describe('the OpenAPI document, as a partner developer generates a client from it', () => {
  it("lints clean with Redocly's recommended rules, with a unique operationId on every operation", async () => {
    const doc = await (await fetch(`${p.api.url}/openapi.json`)).text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: doc, absoluteRef: 'openapi.json', config });
    expect(problems.map((x) => `${x.severity} ${x.ruleId}: ${x.message} at ${x.location[0]?.pointer ?? '?'}`)).toEqual([]);
    const parsed = JSON.parse(doc) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = Object.values(parsed.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('getVisitsByBookingRefQueue');
  });
});
