import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createTransitEnrolmentActivities } from '../../activities/transitEnrolment';
import { addOperatorKey, operatorRootPublicKey, retireOperatorKey } from '../../db/repositories/transitIssuerKeys';
import { signRequest } from '../../domain/requestSignature';
import {
  MemoryReplayCache,
  decodeCredential,
  makeCode,
  publicKeyFromRaw,
  rawPublicKey,
  verifyCode,
  verifyKeySet,
} from '../../domain/transit/rideCode';
import { createTestIdNumber } from '../helpers/factories';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestTransitOperator } from '../helpers/transit';

/**
 * Enrolment with a transit operator through the real HTTP API, PostgreSQL and the payment simulator
 * behind the real alipay-sdk: the withholding agreement signed on the platform's page and announced
 * by its signed notification, credentials certified for a device key and accepted by the pure gate
 * verifier with keys learnt from the signed key set, cancelling, and hostile callers.
 */
let p: TestPlatform;
let operator: { id: string; secret: string };

beforeAll(async () => {
  p = await startTestPlatform({ payment: { sim: { notify: { retryScheduleMs: [200, 500, 1_000] } } } });
  operator = await createTestTransitOperator(p.services.db, p.services.pii);
});
afterAll(async () => {
  await p?.stop();
});

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T & { code?: string; detail?: string; errors?: Array<{ field: string; message: string }> };
}
interface Enrolment {
  riderRef: string;
  status: string;
  riderCategory: string;
  inDebt: boolean;
  agreement: { externalAgreementNo: string | null; signed: boolean; signUrl?: string };
}
interface Credential {
  credential: string;
  keyId: string;
  pseudonym: string;
  riderCategory: string;
  validFrom: string;
  validUntil: string;
}

async function call<T>(
  method: string,
  path: string,
  user: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${headers.apiKey ?? p.partner.apiKey}`,
      ...(user ? { 'x-causeway-user': user } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'apiKey')),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer<T>['body'] };
}

const enrol = (user: string, body: unknown = {}, headers?: Record<string, string>) =>
  call<Enrolment>('POST', `/v1/transit/${operator.id}/enrolment`, user, body, headers);
const enrolment = (user: string) => call<Enrolment>('GET', `/v1/transit/${operator.id}/enrolment`, user);
const credential = (user: string, devicePublicKey: string) =>
  call<Credential>('POST', `/v1/transit/${operator.id}/credential`, user, { devicePublicKey });

async function verifiedUser(apiKey?: string): Promise<string> {
  const reg = await call<{ userId: string }>(
    'POST',
    '/v1/users',
    null,
    { legalName: 'Test Rider', idNumber: createTestIdNumber(), phone: '13800000000' },
    apiKey ? { apiKey } : {},
  );
  expect(reg.status).toBe(202);
  await p.services.temporal.workflow.getHandle(`identity/${reg.body.userId}`).result();
  return reg.body.userId;
}

/** The user opens the sign link on the phone and confirms: what the platform's page does. */
async function userSigns(signUrl: string): Promise<string> {
  const page = (await (await fetch(signUrl)).json()) as { confirmUrl: string };
  const confirmed = await fetch(page.confirmUrl, { method: 'POST' });
  expect(confirmed.status).toBe(200);
  return ((await confirmed.json()) as { agreementNo: string }).agreementNo;
}

async function activeRider(): Promise<{ user: string; enrolment: Enrolment; agreementNo: string }> {
  const user = await verifiedUser();
  const first = await enrol(user);
  expect(first.status).toBe(200);
  const agreementNo = await userSigns(first.body.agreement.signUrl ?? '');
  const active = await until('enrolment active', async () => {
    const e = await enrolment(user);
    return e.body.status === 'active' ? e.body : undefined;
  });
  return { user, enrolment: active, agreementNo };
}

function deviceKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, raw: rawPublicKey(publicKey).toString('base64url') };
}

async function keySet(institution = operator.id, secret = operator.secret): Promise<Answer<{ version: number; keySet: string }>> {
  const path = `/v1/transit/${operator.id}/key-set`;
  const timestamp = String(Date.now());
  const nonce = randomUUID();
  const res = await fetch(`${p.api.url}${path}`, {
    headers: {
      'x-causeway-institution': institution,
      'x-causeway-timestamp': timestamp,
      'x-causeway-nonce': nonce,
      'x-causeway-signature': signRequest(secret, 'GET', path, timestamp, nonce, ''),
    },
  });
  return { status: res.status, body: (await res.json()) as Answer<{ version: number; keySet: string }>['body'] };
}

describe('enrolment and the withholding agreement', () => {
  it('enrols a verified user: pending with a sign link, active once the signed notification arrives', async () => {
    const user = await verifiedUser();
    const first = await enrol(user, { returnUrl: 'https://app.example/transit/done' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', riderCategory: 'adult', inDebt: false, agreement: { signed: false } });
    expect(first.body.riderRef).toMatch(/^[0-9a-f]{32}$/);
    const [stored] = await p.services.db.query<Array<{ user_ref: string; rider_ref: string }>>(
      'SELECT u.user_ref, r.rider_ref FROM users u JOIN transit_riders r ON r.user_id = u.id WHERE u.id = $1',
      [user],
    );
    expect(stored?.rider_ref).toBe(first.body.riderRef);
    expect(first.body.riderRef).not.toContain(user.replaceAll('-', ''));
    expect(first.body.riderRef).not.toBe(stored?.user_ref);
    expect(first.body.agreement.signUrl?.startsWith(p.payment.sim.gatewayUrl)).toBe(true);

    // Enrolling again is the same rider and the same agreement to sign.
    const again = await enrol(user);
    expect(again.body).toMatchObject({
      riderRef: first.body.riderRef,
      agreement: { externalAgreementNo: first.body.agreement.externalAgreementNo },
    });

    const agreementNo = await userSigns(first.body.agreement.signUrl ?? '');
    const active = await until('enrolment active', async () => {
      const e = await enrolment(user);
      return e.body.status === 'active' ? e.body : undefined;
    });
    expect(active.agreement).toMatchObject({ signed: true });
    expect(active.agreement.signUrl).toBeUndefined();
    const [row] = await p.services.db.query<
      Array<{
        agreement_no: string;
      }>
    >('SELECT agreement_no FROM transit_riders WHERE rider_ref = $1', [active.riderRef]);
    expect(row?.agreement_no).toBe(agreementNo);
    // The notification was stored in the inbox and applied once, however often it was delivered.
    const inbox = await until('notification applied', async () => {
      const rows: Array<{ status: string }> = await p.services.db.query(
        `SELECT status FROM inbox_messages WHERE channel = 'agreement_notification' AND correlation = $1`,
        [first.body.agreement.externalAgreementNo],
      );
      return rows.every((r) => r.status === 'applied') ? rows : undefined;
    });
    expect(inbox).toEqual([{ status: 'applied' }]);
    // Charges need no action from the rider now.
    const charged = await p.payment.provider.payByAgreement({
      outTradeNo: `TE${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      agreementNo,
      amountMinor: 1_500,
      currency: 'CNY',
      subject: 'rides',
    });
    expect(charged.status).toBe('TRADE_SUCCESS');
  });

  it('an Idempotency-Key replays the first answer', async () => {
    const user = await verifiedUser();
    const key = randomUUID();
    const a = await enrol(user, {}, { 'idempotency-key': key });
    const b = await call<Enrolment>('POST', `/v1/transit/${operator.id}/enrolment`, user, {}, { 'idempotency-key': key });
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
  });

  it('concurrent enrolments of one user make one rider; a notification delivered twice is applied once', async () => {
    const user = await verifiedUser();
    const answers = await Promise.all(Array.from({ length: 6 }, () => enrol(user)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body.riderRef)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.agreement.externalAgreementNo)).size).toBe(1);
    const rows = await p.services.db.query<Array<{ n: string }>>('SELECT count(*)::text AS n FROM transit_riders WHERE user_id = $1', [
      user,
    ]);
    expect(rows[0]?.n).toBe('1');

    p.payment.sim.faults.inject({ kind: 'notifyDuplicate' });
    const externalAgreementNo = answers[0]?.body.agreement.externalAgreementNo ?? '';
    await userSigns(answers[0]?.body.agreement.signUrl ?? '');
    await until('both deliveries acknowledged, one inbox row applied', async () => {
      const inbox = await p.services.db.query<Array<{ status: string; message_id: string }>>(
        `SELECT status, message_id FROM inbox_messages WHERE channel = 'agreement_notification' AND correlation = $1`,
        [externalAgreementNo],
      );
      const acked = p.payment.sim.notifications.attempts.filter((a) => a.acknowledged && a.notifyId === inbox[0]?.message_id);
      return acked.length === 2 && inbox.length === 1 && inbox[0]?.status === 'applied';
    });
    expect((await enrolment(user)).body.status).toBe('active');
  });

  it('confirm activates from the platform when the notification is late', async () => {
    const user = await verifiedUser();
    const first = await enrol(user);
    p.payment.sim.faults.inject({ kind: 'notifyLate', ms: 3_600_000 });
    await userSigns(first.body.agreement.signUrl ?? '');
    expect((await enrolment(user)).body.status).toBe('pending');
    const confirmed = await call<Enrolment>('POST', `/v1/transit/${operator.id}/enrolment/confirm`, user);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'active', agreement: { signed: true } });
  });

  it('a forged or altered agreement notification changes nothing', async () => {
    const user = await verifiedUser();
    const first = await enrol(user);
    const form = new URLSearchParams({
      notify_id: randomUUID(),
      notify_type: 'dut_user_sign',
      notify_time: '2026-12-04 10:00:00',
      app_id: p.payment.sim.appId,
      agreement_no: '20260000000000000001',
      external_agreement_no: first.body.agreement.externalAgreementNo ?? '',
      status: 'NORMAL',
      sign_type: 'RSA2',
      sign: 'bm90IGEgc2lnbmF0dXJl',
    });
    const res = await fetch(`${p.api.url}/v1/payments/agreement-notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_signature');
    expect((await enrolment(user)).body.status).toBe('pending');
  });

  it('cancelling: no new credentials at once; the agreement is unsigned when the cancellation completes', async () => {
    const { user, agreementNo } = await activeRider();
    const cancelled = await call<Enrolment & { cancelRequestedAt: string | null }>('DELETE', `/v1/transit/${operator.id}/enrolment`, user);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelling');
    expect(cancelled.body.cancelRequestedAt).not.toBeNull();
    const refused = await credential(user, deviceKey().raw);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'invalid_state' });
    // Still signed: today's day must still be charged.
    expect(await p.payment.provider.queryAgreement({ agreementNo })).toMatchObject({ status: 'NORMAL' });
    // The settlement's last step (not built yet) calls this activity.
    const [rider] = await p.services.db.query<Array<{ id: string }>>('SELECT id FROM transit_riders WHERE user_id = $1', [user]);
    const acts = createTransitEnrolmentActivities({ db: p.services.db, payments: p.services.payments });
    expect(await acts.completeRiderCancellation({ version: 1, riderId: rider?.id ?? '' })).toEqual({ status: 'cancelled' });
    expect(await acts.completeRiderCancellation({ version: 1, riderId: rider?.id ?? '' })).toEqual({ status: 'cancelled' });
    expect(await p.payment.provider.queryAgreement({ agreementNo })).toEqual({ status: 'NOT_FOUND' });
    expect((await enrolment(user)).body.status).toBe('cancelled');
    // Enrolling again starts a new agreement.
    const again = await enrol(user);
    expect(again.body.status).toBe('pending');
    expect(again.body.agreement.externalAgreementNo).not.toBeNull();
  });

  it('a pending enrolment cancelled before the user signs: the late signature is unsigned again', async () => {
    const user = await verifiedUser();
    const first = await enrol(user);
    const page = (await (await fetch(first.body.agreement.signUrl ?? '')).json()) as { confirmUrl: string };
    const cancelled = await call<Enrolment>('DELETE', `/v1/transit/${operator.id}/enrolment`, user);
    expect(cancelled.body.status).toBe('cancelled');
    const confirmed = (await (await fetch(page.confirmUrl, { method: 'POST' })).json()) as { agreementNo: string };
    await until('orphan agreement unsigned', async () => (await p.payment.provider.queryAgreement(confirmed)).status === 'NOT_FOUND');
    expect((await enrolment(user)).body.status).toBe('cancelled');
  });

  it('the user ending the agreement in the platform app cancels the rider', async () => {
    const { user, agreementNo } = await activeRider();
    p.payment.sim.user.unsignAgreement(agreementNo);
    await until('rider cancelled', async () => (await enrolment(user)).body.status === 'cancelled');
  });
});

describe('credentials and the key set', () => {
  it('certifies a device key; the gate verifier accepts its codes with keys from the signed key set', async () => {
    const { user, enrolment: e } = await activeRider();
    const device = deviceKey();
    const issued = await credential(user, device.raw);
    expect(issued.status).toBe(201);
    const c = issued.body;
    const hours = (Date.parse(c.validUntil) - Date.parse(c.validFrom)) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const decoded = decodeCredential(Buffer.from(c.credential, 'base64url'));
    expect(decoded).toMatchObject({ operatorId: operator.id, pseudonym: c.pseudonym, riderCategoryId: 'adult', keyId: c.keyId });
    expect(decoded.devicePublicKey.toString('base64url')).toBe(device.raw);
    expect(c.pseudonym).not.toContain(e.riderRef.slice(0, 8));

    // The pseudonym maps back to the rider for taps; a second credential has a new, unrelated one.
    const [row] = await p.services.db.query<Array<{ rider_ref: string }>>(
      `SELECT r.rider_ref FROM transit_credentials c JOIN transit_riders r ON r.id = c.rider_id WHERE c.operator_id = $1 AND c.pseudonym = $2`,
      [operator.id, c.pseudonym],
    );
    expect(row?.rider_ref).toBe(e.riderRef);
    const second = await credential(user, device.raw);
    expect(second.body.pseudonym).not.toBe(c.pseudonym);

    const set = await keySet();
    expect(set.status).toBe(200);
    const root = await operatorRootPublicKey(p.services.db, operator.id);
    const trusted = verifyKeySet(set.body.keySet, publicKeyFromRaw(Buffer.from(root ?? '', 'base64url')), {
      operatorId: operator.id,
      currentVersion: 0,
    });
    if (!trusted.ok) throw new Error(`key set refused: ${trusted.reason}`);
    const now = Date.now();
    const code = makeCode({ credential: Buffer.from(c.credential, 'base64url'), devicePrivateKey: device.privateKey, now, counter: 1 });
    const gate = {
      operatorId: operator.id,
      issuerKeys: trusted.issuerKeys,
      denyList: new Set<string>(),
      replayCache: new MemoryReplayCache(() => now),
      now,
    };
    expect(verifyCode({ ...gate, code })).toMatchObject({ allow: true, pseudonym: c.pseudonym, riderCategoryId: 'adult' });
    // Another device's key cannot use this credential.
    const thief = deviceKey();
    const stolen = makeCode({ credential: Buffer.from(c.credential, 'base64url'), devicePrivateKey: thief.privateKey, now, counter: 2 });
    expect(verifyCode({ ...gate, code: stolen })).toMatchObject({ allow: false, reason: 'bad_device_signature' });
  });

  it('refuses credentials before the agreement is signed and while in debt', async () => {
    const pendingUser = await verifiedUser();
    await enrol(pendingUser);
    const pending = await credential(pendingUser, deviceKey().raw);
    expect(pending.status).toBe(409);
    expect(pending.body).toMatchObject({ code: 'invalid_state', detail: expect.stringContaining('agreement not signed') });

    const { user } = await activeRider();
    await p.services.db.query('UPDATE transit_riders SET in_debt = true WHERE user_id = $1', [user]);
    const inDebt = await credential(user, deviceKey().raw);
    expect(inDebt.status).toBe(409);
    expect(inDebt.body).toMatchObject({ detail: expect.stringContaining('in debt') });
  });
});

describe('issuer key rotation', () => {
  it('a new issuer key signs from now on, the key set grows a version, and credentials of the old key still pass until it retires', async () => {
    const { user } = await activeRider();
    const device = deviceKey();
    const before = await keySet();
    const old = (await credential(user, device.raw)).body;

    const rotated = await addOperatorKey(p.services.db, p.services.pii, { operatorId: operator.id, role: 'issuer' });
    const after = await keySet();
    expect(after.body.version).toBeGreaterThan(before.body.version);
    const fresh = (await credential(user, device.raw)).body;
    expect(fresh.keyId).toBe(rotated);
    expect(old.keyId).not.toBe(rotated);

    const root = publicKeyFromRaw(Buffer.from((await operatorRootPublicKey(p.services.db, operator.id)) ?? '', 'base64url'));
    const gateAt = (set: string, version: number) => {
      const learnt = verifyKeySet(set, root, { operatorId: operator.id, currentVersion: version });
      if (!learnt.ok) throw new Error(learnt.reason);
      return learnt;
    };
    const learnt = gateAt(after.body.keySet, before.body.version);
    expect([...learnt.issuerKeys.keys()].sort()).toEqual([old.keyId, rotated].sort());
    // A gate holding the newer set refuses the older one (a replayed set cannot bring a key back).
    expect(verifyKeySet(before.body.keySet, root, { operatorId: operator.id, currentVersion: after.body.version })).toEqual({
      ok: false,
      reason: 'not_newer',
    });
    const now = Date.now();
    const gate = {
      operatorId: operator.id,
      issuerKeys: learnt.issuerKeys,
      denyList: new Set<string>(),
      replayCache: new MemoryReplayCache(() => now),
      now,
    };
    for (const [i, c] of [old, fresh].entries()) {
      const code = makeCode({
        credential: Buffer.from(c.credential, 'base64url'),
        devicePrivateKey: device.privateKey,
        now,
        counter: i + 1,
      });
      expect(verifyCode({ ...gate, code })).toMatchObject({ allow: true, keyId: c.keyId });
    }

    // Retiring the old key takes it out of the next set.
    await retireOperatorKey(p.services.db, operator.id, old.keyId, new Date(now - 1_000));
    const retired = await keySet();
    expect(retired.body.version).toBeGreaterThan(after.body.version);
    expect([...gateAt(retired.body.keySet, after.body.version).issuerKeys.keys()]).toEqual([rotated]);
  });
});

describe('the OpenAPI document', () => {
  it('lists the transit routes', async () => {
    const doc = (await (await fetch(`${p.api.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /v1/transit/{operatorId}/enrolment',
        'GET /v1/transit/{operatorId}/enrolment',
        'DELETE /v1/transit/{operatorId}/enrolment',
        'POST /v1/transit/{operatorId}/enrolment/confirm',
        'POST /v1/transit/{operatorId}/credential',
        'GET /v1/transit/{operatorId}/key-set',
        'POST /v1/payments/agreement-notifications',
      ]),
    );
  });
});

describe('hostile callers', () => {
  it('refuses unknown operators, unverified users, other partners, malformed bodies and keys, naming fields', async () => {
    const user = await verifiedUser();
    // Not verified before any request names them: an API process may keep a verified user's
    // authentication answer for PARTNER_AUTH_CACHE_MS, so demoting one mid-test would race that cache.
    const pending = await verifiedUser();
    await p.services.db.query(`UPDATE users SET identity_status = 'pending' WHERE id = $1`, [pending]);
    expect((await call('POST', '/v1/transit/no-such-operator/enrolment', user, {})).status).toBe(404);
    expect((await call('POST', '/v1/transit/bad%20id!/enrolment', user, {})).body.errors?.[0]?.field).toBe('params.operatorId');

    const unverified = await enrol(pending);
    expect(unverified.status).toBe(403);
    const none: unknown[] = await p.services.db.query('SELECT 1 FROM transit_riders WHERE user_id = $1', [pending]);
    expect(none).toHaveLength(0);

    // Another partner's user is unknown to this partner: the header cannot borrow them.
    const otherKey = `pk_${randomUUID()}`;
    const { hashApiKey } = await import('../../api/auth/middleware');
    await p.services.db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
      `other-${randomUUID().slice(0, 8)}`,
      'Other partner',
      hashApiKey(otherKey),
    ]);
    const theirs = await verifiedUser(otherKey);
    expect((await enrol(theirs)).status).toBe(401);
    expect((await enrolment(theirs)).status).toBe(401);

    const mine = await verifiedUser();
    const bad = await enrol(mine, { returnUrl: 'javascript:alert(1)', extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['body', 'body.returnUrl']);
    const broken = await enrol(mine, '{"returnUrl":');
    expect(broken.status).toBe(422);
    expect(broken.body.errors?.[0]?.field).toBe('body');
    expect((await enrolment(mine)).status).toBe(404);

    const { user: rider } = await activeRider();
    for (const key of ['', 'AAAA', `${'A'.repeat(42)}A`, `${'A'.repeat(43)}=`, Buffer.alloc(33, 7).toString('base64url'), '_'.repeat(43)]) {
      const res = await credential(rider, key);
      expect(res.status).toBe(422);
      expect(res.body.errors?.[0]?.field).toBe('body.devicePublicKey');
    }
    const extra = await call('POST', `/v1/transit/${operator.id}/credential`, rider, { devicePublicKey: deviceKey().raw, userId: rider });
    expect(extra.status).toBe(422);
  });

  it('the key set is for the operator itself, over signed requests only', async () => {
    const other = await createTestTransitOperator(p.services.db, p.services.pii);
    expect((await keySet(other.id, other.secret)).status).toBe(403);
    expect((await keySet(operator.id, 'wrong-secret')).status).toBe(401);
    const plain = await fetch(`${p.api.url}/v1/transit/${operator.id}/key-set`);
    expect(plain.status).toBe(401);
  });

  it('limits credentials per rider per day', async () => {
    const { user } = await activeRider();
    const { MAX_CREDENTIALS_PER_DAY } = await import('../../api/routes/transitEnrolment');
    const device = deviceKey();
    for (let i = 0; i < MAX_CREDENTIALS_PER_DAY; i++) expect((await credential(user, device.raw)).status).toBe(201);
    const over = await credential(user, device.raw);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('rate_limited');
  });
});
