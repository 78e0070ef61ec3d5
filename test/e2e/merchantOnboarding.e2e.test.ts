import { randomUUID } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { workflowIds } from '../../domain/ids';
import { USCC_ALPHABET, usccCheckCharacter } from '../../domain/retail/uscc';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { createTestIdNumber } from '../helpers/factories';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, TEST_KEYS, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * Merchant onboarding through the real API, the real `merchant-onboarding/<id>` workflow, the
 * registry and identity simulators over HTTP, and PostgreSQL: approved (and the new merchant's
 * credentials sign a sale at its till), rejected naming every failed check, a manual review
 * approved by an operator's signal, a registry outage reviewed and rejected, a review that expires,
 * a repeated application, and hostile requests.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ env: { MERCHANT_CHECK_WINDOW_SECONDS: '3', MERCHANT_REVIEW_TIMEOUT_SECONDS: '20' } });
});
afterAll(async () => {
  await p?.stop();
});

/** A fresh well-formed code (its check character worked out), so each test's registry entry is its own. */
function freshUscc(): string {
  const org = Array.from({ length: 9 }, () => USCC_ALPHABET[Math.floor(Math.random() * USCC_ALPHABET.length)]).join('');
  const first17 = `91310000${org}`;
  return first17 + usccCheckCharacter(first17);
}

interface Problem {
  status: number;
  code: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Answer {
  applicationId: string;
  applicationToken: string;
  status: string;
  repeated: boolean;
}
interface View {
  status: string;
  failedChecks: Array<{ check: string; reason: string }>;
  reviewReasons: Array<{ check: string; reason: string }>;
  reason: string | null;
  reviewedBy: string | null;
  merchantId: string | null;
  decidedAt: string | null;
}

async function call<T>(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string } = {}) {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.raw ? { body: opts.raw } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') ?? '' };
}

const asOperator = <T>(method: string, path: string, body?: unknown) =>
  call<T>(method, path, { token: TEST_KEYS.operatorToken, ...(body !== undefined ? { body } : {}) });

function application(over: Record<string, unknown> = {}) {
  return {
    requestId: `req-${randomUUID()}`,
    uscc: freshUscc(),
    legalRepresentative: { name: '张三丰', idNumber: createTestIdNumber() },
    settlementAccount: '6222020200112233445',
    storeName: 'Noodle Corner',
    timeZone: 'Asia/Shanghai',
    ...over,
  };
}

async function apply(body: ReturnType<typeof application>): Promise<Answer> {
  const r = await asOperator<Answer>('POST', '/v1/operator/merchant-applications', body);
  expect(r.status).toBe(201);
  return r.body;
}

const statusOf = async (a: Answer) =>
  (await call<View>('GET', `/v1/merchant-applications/${a.applicationId}`, { token: a.applicationToken })).body;
const settled = (a: Answer, ...stages: string[]) =>
  until(`application ${a.applicationId} in ${stages.join('/')}`, async () => {
    const v = await statusOf(a);
    return stages.includes(v.status) ? v : undefined;
  });
const handleOf = (a: Answer) => p.services.temporal.workflow.getHandle(workflowIds.merchantOnboarding(a.applicationId));

/** Every payload of the workflow's history, decoded with the codec: what the Web UI could show an operator. */
async function decodedHistory(a: Answer): Promise<string> {
  const history = await handleOf(a).fetchHistory();
  const payloads: Payload[] = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o['metadata'] && o['data'] instanceof Uint8Array) payloads.push(o);
    else Object.values(o).forEach(walk);
  };
  walk(history);
  // Search attributes are stored in the clear (never encrypted): those are read as they are.
  const texts = await Promise.all(
    payloads.map(async (x) => {
      const [plain] = await p.services.codec.decode([x]).catch(() => [x]);
      return Buffer.from(plain?.data ?? new Uint8Array()).toString('utf8');
    }),
  );
  return texts.join('\n');
}

it('onboards a merchant whose every check passes: credentials once, then its till signs a sale', async () => {
  const body = application();
  p.registrySim.register(body.uscc, { status: 'found', legalRepresentative: '张三丰' });
  const a = await apply(body);
  expect(a).toMatchObject({ status: 'checking', repeated: false, applicationToken: expect.stringMatching(/^mat_/) });
  const view = await settled(a, 'active', 'rejected', 'expired');
  expect(view).toMatchObject({ status: 'active', failedChecks: [], merchantId: expect.any(String), decidedAt: expect.any(String) });
  expect(await handleOf(a).result()).toEqual({ stage: 'active', merchantId: view.merchantId });
  await recordHistory(handleOf(a), 'approved');

  const creds = await call<{ merchantId: string; hmacSecret: string }>('GET', `/v1/merchant-applications/${a.applicationId}/credentials`, {
    token: a.applicationToken,
  });
  expect(creds.status).toBe(200);
  expect(creds.body.merchantId).toBe(view.merchantId);
  // Once only.
  expect(
    (await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}/credentials`, { token: a.applicationToken })).status,
  ).toBe(409);
  const [inst] = await p.services.db.query<Array<Record<string, string>>>(`SELECT kind, name, time_zone FROM institutions WHERE id = $1`, [
    creds.body.merchantId,
  ]);
  expect(inst).toEqual({ kind: 'merchant', name: 'Noodle Corner', time_zone: 'Asia/Shanghai' });

  const till = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: creds.body.merchantId, secret: creds.body.hmacSecret });
  const sale = await till.post<{ stage: string; paid: number }>(`/v1/merchants/${creds.body.merchantId}/orders`, {
    orderRef: 'FIRST',
    lines: [{ lineId: 'A', sku: 'noodles', category: 'food', quantity: 1, unitPrice: 1_200 }],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.status).toBe(201);
  expect(sale.body).toMatchObject({ stage: 'paid', paid: 1_200 });
  const forged = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: creds.body.merchantId, secret: 'guessed' });
  expect((await forged.get(`/v1/merchants/${creds.body.merchantId}/orders/FIRST`)).status).toBe(401);

  // The secret and the representative's PII are in no workflow payload and no log line.
  const history = await decodedHistory(a);
  expect(history).toContain(a.applicationId);
  for (const secret of [creds.body.hmacSecret, body.legalRepresentative.idNumber, body.legalRepresentative.name, body.settlementAccount]) {
    expect(history).not.toContain(secret);
    expect(p.logs.text()).not.toContain(secret);
  }
  // At rest: ciphertext only.
  const [row] = await p.services.db.query<Array<Record<string, string | null>>>(
    `SELECT rep_name_enc, rep_id_number_enc, settlement_account_enc, hmac_secret_enc FROM merchant_applications WHERE id = $1`,
    [a.applicationId],
  );
  expect(row?.hmac_secret_enc).toBeNull();
  expect(JSON.stringify(row)).not.toContain(body.legalRepresentative.idNumber);
  expect(p.services.pii.decrypt(row?.settlement_account_enc ?? '')).toBe(body.settlementAccount);
});

it('rejects naming every failed check: the code, the legal representative and the district', async () => {
  const good = freshUscc();
  const body = application({
    uscc: good.slice(0, 17) + (good[17] === '0' ? '1' : '0'),
    districtId: `nowhere-${randomUUID().slice(0, 8)}`,
  });
  p.identitySim.setMismatch(body.legalRepresentative.idNumber);
  const a = await apply(body);
  const view = await settled(a, 'active', 'rejected', 'expired');
  expect(view.status).toBe('rejected');
  expect(view.failedChecks).toEqual([
    { check: 'uscc_format', reason: 'check_character' },
    { check: 'legal_representative', reason: 'identity_mismatch' },
    { check: 'district', reason: 'unknown_district' },
  ]);
  expect(await handleOf(a).result()).toEqual({ stage: 'rejected', failed: view.failedChecks });
  await recordHistory(handleOf(a), 'rejected');
  // No credentials for a rejected application.
  expect(
    (await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}/credentials`, { token: a.applicationToken })).status,
  ).toBe(409);
});

it('rejects a revoked code, and a legal representative other than the registry’s', async () => {
  const district = await createTestMerchant(p.services.db, p.services.pii, { kind: 'district' });
  const revoked = application({ districtId: district });
  p.registrySim.register(revoked.uscc, { status: 'revoked', legalRepresentative: '张三丰' });
  const other = application();
  p.registrySim.register(other.uscc, { status: 'found', legalRepresentative: '李四' });
  const [a, b] = await Promise.all([apply(revoked), apply(other)]);
  expect((await settled(a, 'rejected')).failedChecks).toEqual([{ check: 'registry', reason: 'revoked' }]);
  expect((await settled(b, 'rejected')).failedChecks).toEqual([{ check: 'registry', reason: 'name_mismatch' }]);
});

it('sends a slightly different name to review; the operator approves by signal and the store opens', async () => {
  const body = application({ legalRepresentative: { name: '张三峰', idNumber: createTestIdNumber() } });
  p.registrySim.register(body.uscc, { status: 'found', legalRepresentative: '张三丰' });
  const a = await apply(body);
  const inReview = await settled(a, 'review', 'active', 'rejected');
  expect(inReview).toMatchObject({ status: 'review', reviewReasons: [{ check: 'registry', reason: 'name_close' }] });
  // Credentials wait for the decision.
  expect(
    (await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}/credentials`, { token: a.applicationToken })).status,
  ).toBe(409);
  const approved = await asOperator<{ accepted: boolean }>('POST', `/v1/operator/merchant-applications/${a.applicationId}/review`, {
    decision: 'approve',
  });
  expect(approved.status).toBe(202);
  const view = await settled(a, 'active');
  expect(view.reviewedBy).toBe('operator-1');
  await recordHistory(handleOf(a), 'review-approved');
  // The signal is in the workflow's history (what the Web UI shows).
  const events = (await handleOf(a).fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reviewDecision')).toBe(true);
  // Decided: a second decision is refused.
  expect(
    (await asOperator<Problem>('POST', `/v1/operator/merchant-applications/${a.applicationId}/review`, { decision: 'reject' })).status,
  ).toBe(409);
  // The operator's read is the same read model.
  expect((await asOperator<View>('GET', `/v1/operator/merchant-applications/${a.applicationId}`)).body.status).toBe('active');
});

it('a registry down past its window asks a person, who rejects with a note', async () => {
  const body = application();
  p.registrySim.register(body.uscc, { status: 'found', legalRepresentative: '张三丰' });
  p.registrySim.setDown(true);
  let a: Answer;
  try {
    a = await apply(body);
    expect(await settled(a, 'review', 'active', 'rejected')).toMatchObject({
      status: 'review',
      reviewReasons: [{ check: 'registry', reason: 'unavailable' }],
    });
  } finally {
    p.registrySim.setDown(false);
  }
  const r = await asOperator('POST', `/v1/operator/merchant-applications/${a.applicationId}/review`, {
    decision: 'reject',
    note: 'licence copy unreadable',
  });
  expect(r.status).toBe(202);
  expect((await settled(a, 'rejected')).failedChecks).toEqual([{ check: 'manual_review', reason: 'licence copy unreadable' }]);
  await recordHistory(handleOf(a), 'review-rejected');
});

it('a review nobody decides expires with its reason', async () => {
  const body = application({ legalRepresentative: { name: '张三峰', idNumber: createTestIdNumber() } });
  p.registrySim.register(body.uscc, { status: 'found', legalRepresentative: '张三丰' });
  const a = await apply(body);
  await settled(a, 'review');
  const view = await until(
    'the review to expire',
    async () => {
      const v = await statusOf(a);
      return v.status === 'expired' ? v : undefined;
    },
    { timeoutMs: 90_000 },
  );
  expect(view.reason).toBe('no review decision before the review timeout');
  expect(await handleOf(a).result()).toEqual({ stage: 'expired', reason: view.reason });
  await recordHistory(handleOf(a), 'expired');
});

it('applying twice with the same request id is harmless; other details under it are a conflict', async () => {
  const body = application();
  p.registrySim.register(body.uscc, { status: 'found', legalRepresentative: '张三丰' });
  const [first, second] = await Promise.all([apply(body), apply(body)]);
  expect(second.applicationId).toBe(first.applicationId);
  expect(second.applicationToken).toBe(first.applicationToken);
  expect([first.repeated, second.repeated].sort()).toEqual([false, true]);
  await settled(first, 'active');
  const again = await apply(body);
  expect(again).toMatchObject({ applicationId: first.applicationId, status: 'active', repeated: true });
  const rows = await p.services.db.query<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM merchant_applications WHERE request_id = $1`,
    [body.requestId],
  );
  expect(rows[0]?.n).toBe(1);
  const conflict = await asOperator<Problem>('POST', '/v1/operator/merchant-applications', { ...body, storeName: 'Another shop' });
  expect(conflict.status).toBe(409);
});

it('refuses hostile applications with a problem naming the field, and strangers', async () => {
  const post = (body: unknown) => asOperator<Problem>('POST', '/v1/operator/merchant-applications', body);
  const fieldsOf = async (body: unknown) => {
    const r = await post(body);
    expect(r.status).toBe(422);
    expect(r.type).toContain('application/problem+json');
    return (r.body.errors ?? []).map((e) => e.field);
  };
  const good = application();
  expect(await fieldsOf({})).toEqual(
    expect.arrayContaining([
      'body.requestId',
      'body.uscc',
      'body.legalRepresentative',
      'body.settlementAccount',
      'body.storeName',
      'body.timeZone',
    ]),
  );
  expect(await fieldsOf({ ...good, uscc: 'ABC' })).toEqual(['body.uscc']);
  expect(await fieldsOf({ ...good, uscc: "91310000'; DROP TABLE x;--" })).toEqual(['body.uscc']);
  expect(await fieldsOf({ ...good, storeName: 'x'.repeat(65) })).toEqual(['body.storeName']);
  expect(await fieldsOf({ ...good, legalRepresentative: { name: 'n'.repeat(500), idNumber: '110101199003070000' } })).toEqual(
    expect.arrayContaining(['body.legalRepresentative.name', 'body.legalRepresentative.idNumber']),
  );
  expect(await fieldsOf({ ...good, settlementAccount: '12ab' })).toEqual(['body.settlementAccount']);
  expect(await fieldsOf({ ...good, timeZone: 'Mars/Olympus' })).toEqual(['body.timeZone']);
  expect(await fieldsOf({ ...good, districtId: '../etc' })).toEqual(['body.districtId']);
  expect(await fieldsOf({ ...good, admin: true })).toEqual(['body']);
  const huge = await call<Problem>('POST', '/v1/operator/merchant-applications', {
    token: TEST_KEYS.operatorToken,
    raw: JSON.stringify({ ...good, storeName: 'x'.repeat(400_000) }),
  });
  expect(huge.status).toBe(413);
  // No token: 401; a token that is not an operator's: 403 (the operator routes' rule).
  expect((await call<Problem>('POST', '/v1/operator/merchant-applications', { body: good })).status).toBe(401);
  expect((await call<Problem>('POST', '/v1/operator/merchant-applications', { body: good, token: 'guessed' })).status).toBe(403);
  expect(
    (await call<Problem>('POST', `/v1/operator/merchant-applications/${randomUUID()}/review`, { body: { decision: 'approve' } })).status,
  ).toBe(401);

  // The applicant's routes: its own token only.
  const a = await apply(application());
  const b = await apply(application());
  expect((await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}`)).status).toBe(401);
  expect((await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}`, { token: b.applicationToken })).status).toBe(401);
  expect((await call<Problem>('GET', `/v1/merchant-applications/${a.applicationId}/credentials`, { token: 'mat_spoofed' })).status).toBe(
    401,
  );
  expect((await call<Problem>('GET', `/v1/merchant-applications/${randomUUID()}`, { token: a.applicationToken })).status).toBe(401);
  expect((await call<Problem>('GET', '/v1/merchant-applications/not-a-uuid', { token: a.applicationToken })).status).toBe(422);
  expect(
    (await asOperator<Problem>('POST', `/v1/operator/merchant-applications/${a.applicationId}/review`, { decision: 'maybe' })).status,
  ).toBe(422);
  expect((await asOperator<Problem>('GET', `/v1/operator/merchant-applications/${randomUUID()}`)).status).toBe(404);
});
