import { randomUUID } from 'node:crypto';
import { workflowIds } from '../../domain/ids';
import { createTestIdNumber as newIdNumber } from '../helpers/factories';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/** Real-name registration through the HTTP API, the identity workflow and the identity simulator. */
let p: TestPlatform;
const MISMATCH_NAME = 'Wrong Name';

beforeAll(async () => {
  p = await startTestPlatform({ identityOutcomes: { mismatchNames: [MISMATCH_NAME] } });
});
afterAll(async () => {
  await p?.stop();
});

async function register(body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.api.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function me(userId: string): Promise<{ identityStatus: string; idNumber: string; legalName: string; phone: string }> {
  const res = await fetch(`${p.api.url}/v1/users/me`, {
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': userId },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { identityStatus: string; idNumber: string; legalName: string; phone: string };
}

async function settled(userId: string): Promise<string> {
  const result: string = await p.services.temporal.workflow.getHandle(workflowIds.identity(userId)).result();
  return result;
}

describe('real-name identity', () => {
  it('accepts a valid person: masked answer, verified by the provider, PII encrypted at rest', async () => {
    const idNumber = newIdNumber();
    const res = await register({ legalName: '李四', idNumber, phone: '13812345678' });
    expect(res.status).toBe(202);
    const user = (await res.json()) as { userId: string; idNumber: string; legalName: string; phone: string; identityStatus: string };
    expect(user).toMatchObject({
      identityStatus: 'pending',
      legalName: '李*',
      phone: '138****5678',
      idNumber: `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`,
    });
    expect(await settled(user.userId)).toBe('verified');
    expect((await me(user.userId)).identityStatus).toBe('verified');
    await recordHistory(p.services.temporal.workflow.getHandle(workflowIds.identity(user.userId)), 'verified');
    const [row] = await p.services.db.query('SELECT * FROM users WHERE id = $1', [user.userId]);
    expect(JSON.stringify(row)).not.toContain(idNumber);
    expect(JSON.stringify(row)).not.toContain('李四');
    expect(JSON.stringify(row)).not.toContain('13812345678');
    // Analytics keeps only what the number says in aggregate: band, gender (sequence parity), province.
    const [facts] = await p.services.db.query('SELECT * FROM user_demographics WHERE user_ref = $1', [row.user_ref]);
    expect(Object.keys(facts).sort()).toEqual(['age_band', 'derived_at', 'gender', 'region_code', 'user_ref']);
    expect(facts).toMatchObject({
      gender: Number(idNumber[16]) % 2 === 1 ? 'male' : 'female',
      region_code: '440000',
      age_band: expect.stringMatching(/^(18-29|30-44|45-59|60\+)$/),
    });
  });

  it('rejects a wrong check character with a 422 naming the field, and writes nothing', async () => {
    const good = newIdNumber();
    const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const before: Array<{ n: string }> = await p.services.db.query('SELECT count(*)::text AS n FROM users');
    const res = await register({ legalName: 'Li Si', idNumber: bad, phone: '13812345678' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { type: string; errors: Array<{ field: string; message: string }> };
    expect(problem.type).toContain('validation-failed');
    expect(problem.errors[0]).toMatchObject({ field: 'body.idNumber', message: expect.stringContaining('check character') });
    const after: Array<{ n: string }> = await p.services.db.query('SELECT count(*)::text AS n FROM users');
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('refuses a registration the provider says does not match (asked at once), and stores nothing', async () => {
    const idNumber = newIdNumber();
    const res = await register({ legalName: MISMATCH_NAME, idNumber, phone: '13900000000' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('identity_rejected');
    const rows: unknown[] = await p.services.db.query('SELECT 1 FROM users WHERE id_number_hash = $1', [
      p.services.pii.lookupHash('id_number', idNumber),
    ]);
    expect(rows).toHaveLength(0);
  });

  it('records a provider mismatch found later (provider down at registration) as rejected', async () => {
    p.identitySim.setDown(true);
    const res = await register({ legalName: MISMATCH_NAME, idNumber: newIdNumber(), phone: '13900000000' });
    p.identitySim.setDown(false);
    expect(res.status).toBe(202);
    const user = (await res.json()) as { userId: string };
    expect(await settled(user.userId)).toBe('rejected');
    expect((await me(user.userId)).identityStatus).toBe('rejected');
  }, 60_000);

  it('survives "provider down": the registration waits and is verified when the provider returns', async () => {
    p.identitySim.setDown(true);
    const res = await register({ legalName: 'Wang Wu', idNumber: newIdNumber(), phone: '13700000000' });
    const user = (await res.json()) as { userId: string };
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await me(user.userId)).identityStatus).toBe('pending');
    const callsWhileDown = p.identitySim.calls;
    expect(callsWhileDown).toBeGreaterThan(0);
    p.identitySim.setDown(false);
    expect(await settled(user.userId)).toBe('verified');
  }, 60_000);

  it('honours Idempotency-Key: same body replays, different body is a 409', async () => {
    const key = randomUUID();
    const body = { legalName: 'Zhao Liu', idNumber: newIdNumber(), phone: '13600000000' };
    const first = await register(body, { 'idempotency-key': key });
    const second = await register(body, { 'idempotency-key': key });
    expect(second.status).toBe(first.status);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    const third = await register({ ...body, phone: '13600000001' }, { 'idempotency-key': key });
    expect(third.status).toBe(409);
    expect(((await third.json()) as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('rejects bad input with 422 naming each field, and unauthenticated callers with 401', async () => {
    const res = await register({ legalName: '', idNumber: 42, phone: 'abc' });
    expect(res.status).toBe(422);
    const fields = ((await res.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['body.idNumber', 'body.legalName', 'body.phone']);
    const noKey = await fetch(`${p.api.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noKey.status).toBe(401);
    const badJson = await fetch(`${p.api.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.partner.apiKey}`, 'content-type': 'application/json' },
      body: '{"legalName":',
    });
    expect(badJson.status).toBe(422);
    expect(((await badJson.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('body');
  });

  it('keeps PII out of logs and out of the Temporal history', async () => {
    const idNumber = newIdNumber();
    const name = '欧阳娜娜';
    const res = await register({ legalName: name, idNumber, phone: '13512345678' });
    const user = (await res.json()) as { userId: string };
    await settled(user.userId);
    const logs = p.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(idNumber);
    expect(logs).not.toContain(name);
    expect(logs).not.toContain('13512345678');
    // The raw history as the server stores it: payloads encrypted by the codec.
    const history = await p.services.temporal.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: workflowIds.identity(user.userId) },
    });
    const raw = Buffer.from(JSON.stringify(history.history?.events ?? [])).toString('utf8');
    expect(raw.length).toBeGreaterThan(100);
    expect(raw).not.toContain(idNumber);
    expect(raw).not.toContain(Buffer.from(name).toString('base64'));
    // The input payload is ciphertext on the server; only the codec turns it back into the input.
    const payload = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(payload?.metadata?.encoding ?? new Uint8Array()).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload?.data ?? new Uint8Array()).toString('utf8')).not.toContain('userId');
    const [decoded] = await p.services.codec.decode([{ metadata: payload?.metadata ?? {}, data: payload?.data ?? new Uint8Array() }]);
    expect(Buffer.from(decoded?.data ?? new Uint8Array()).toString('utf8')).toContain(user.userId);
  });
});
