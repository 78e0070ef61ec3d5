import { randomInt } from 'node:crypto';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { newDeviceKey } from '../../clients/transit/rideCodeQr';
import { ensureOperatorKeys, operatorRootPublicKey } from '../../db/repositories/transitIssuerKeys';
import { addDays } from '../../domain/hospital/serviceDay';
import { makeCode, publicKeyFromRaw, toQrText } from '../../domain/transit/rideCode';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { GateSimulator } from '../../integrations/transit/simulator';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import {
  createTestTransitOperator,
  createTestTransitRider,
  METROVILLE_ZONE,
  signTestAgreement,
  storeMetrovilleFeed,
  testOperatorId,
  uploadTaps,
  type TestOperator,
} from '../helpers/transitFactories';

/**
 * A refused day charge through the real platform: the rider goes in debt and on the deny list, a
 * gate that fetched the signed delta refuses their code, the partner app reads the exact amount and
 * reason, pays it by QR code, and the gate's next delta lets the rider through again. Then what a
 * hostile gate or app could send to the debt routes.
 */
let p: TestPlatform;
let op: TestOperator;
let other: TestOperator;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);
const PAST = addDays(TODAY, -1);

beforeAll(async () => {
  const ids = [testOperatorId(), testOperatorId()] as const;
  p = await startTestPlatform({
    env: {
      TRANSIT_FORWARD_INTERVAL_MS: '200',
      TRANSIT_SETTLEMENT_DELAY_SECONDS: '0',
      // The first refusal is a debt (the default policy retries for 30 days).
      TRANSIT_CHARGE_RETRY_SECONDS: 'none',
      // A rider riding again retries their refused days at once (the default spaces it an hour).
      TRANSIT_RETRY_ON_TAP_AFTER_SECONDS: '0',
      TRANSIT_FORWARD_OPERATORS: ids.join(','),
    },
  });
  const encrypt = (s: string) => p.services.pii.encrypt(s);
  op = await createTestTransitOperator(p.services.db, encrypt, { id: ids[0] });
  other = await createTestTransitOperator(p.services.db, encrypt, { id: ids[1] });
  for (const o of [op, other]) await ensureOperatorKeys(p.services.db, p.services.pii, o.id);
  await storeMetrovilleFeed(p.services.db, op.id, addDays(TODAY, -10));
});
afterAll(async () => {
  await p?.stop();
});

const asUser = (userId: string) => ({
  authorization: `Bearer ${p.partner.apiKey}`,
  'x-causeway-user': userId,
  'content-type': 'application/json',
});

async function partner<T>(userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, { method, headers: asUser(userId), ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as T };
}

interface Debt {
  inDebt: boolean;
  totalOwed: number;
  days: Array<{
    serviceDay: string;
    stage: string;
    owed: number;
    currency: string;
    reason: string | null;
    payment: { outTradeNo: string; amount: number; status: string; qrCode: string | null } | null;
  }>;
}
interface DenyList {
  version: number;
  fromVersion: number;
  delta: string | null;
  code?: string;
  errors?: Array<{ field: string }>;
}

describe('a day in debt, at the gate and in the partner app', () => {
  it('denies the rider at the gate until the debt is paid by QR code, then lets them through', async () => {
    const buyerId = `2088${randomInt(1e11, 1e12)}`;
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    await signTestAgreement(p.services.db, p.payment.provider, `${p.api.url}/v1/payments/agreement-notifications`, rider.riderId, buyerId);
    // A real credential for the phone's key: its pseudonym is what the gates will list.
    const device = newDeviceKey();
    const issued = await partner<{ credential: string; pseudonym: string }>(rider.userId, 'POST', `/v1/transit/${op.id}/credential`, {
      devicePublicKey: device.publicKey,
    });
    expect(issued.status).toBe(201);
    const credential = Buffer.from(issued.body.credential, 'base64url');

    // The operator's gate: trusts the root key, holds the signed issuer key set, polls the deny list.
    const operator = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: op.id, secret: op.secret });
    const rootPublicKey = publicKeyFromRaw(Buffer.from((await operatorRootPublicKey(p.services.db, op.id)) ?? '', 'base64url'));
    const keySet = await operator.get<{ keySet: string }>(`/v1/transit/${op.id}/key-set`);
    const gate = new GateSimulator({ operatorId: op.id, deviceId: 'gate-debt', stopId: 'M1', tapType: 'on', rootPublicKey });
    expect(gate.acceptKeySet(keySet.body.keySet).ok).toBe(true);
    const poll = async (): Promise<DenyList> => {
      const r = await operator.get<DenyList>(`/v1/institutions/${op.id}/transit/deny-list?since=${gate.versions.denyList}`);
      expect(r.status).toBe(200);
      if (r.body.delta) expect(gate.applyDenyList(r.body.delta)).toMatchObject({ ok: true, version: r.body.version });
      return r.body;
    };
    await poll();
    let counter = 0;
    const show = () =>
      gate.present(toQrText(makeCode({ credential, devicePrivateKey: device.privateKey, now: Date.now(), counter: ++counter })));
    expect(show().allow).toBe(true);

    // Yesterday's ride is charged and the balance is short: the day is a debt.
    p.payment.sim.faults.inject({ kind: 'insufficientBalance', buyerId, times: 1 });
    const uploaded = await uploadTaps(p.api.url, op, issued.body.pseudonym, PAST, [
      [`${rider.riderRef}-1`, '08:00', 'M1', 'on'],
      [`${rider.riderRef}-2`, '08:30', 'M3', 'off'],
    ]);
    expect(uploaded).toMatchObject({ status: 200, counts: { accepted: 2 } });
    const owed = await until('in debt', async () => {
      const r = await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`);
      return r.body.inDebt && r.body.days.length === 1 ? r.body : null;
    });
    expect(owed).toMatchObject({
      inDebt: true,
      totalOwed: 500,
      days: [{ serviceDay: PAST, stage: 'in_debt', owed: 500, currency: 'CNY', reason: 'insufficient_balance', payment: null }],
    });
    const trips = await partner<{ stage: string; settlement: unknown }>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${PAST}`);
    expect(trips.body).toMatchObject({ stage: 'in_debt', settlement: { due: 500, paid: 0, owed: 500, refusal: 'insufficient_balance' } });
    // No new credential while in debt.
    const refused = await partner<{ detail: string }>(rider.userId, 'POST', `/v1/transit/${op.id}/credential`, {
      devicePublicKey: newDeviceKey().publicKey,
    });
    expect(refused.status).toBe(409);

    // The gate's next poll lists the pseudonym: the code is refused offline.
    const listed = await poll();
    expect(listed.delta).not.toBeNull();
    expect(show()).toMatchObject({ allow: false, reason: 'denied' });

    // The rider pays by QR code; the QR order is read back from PostgreSQL.
    const asked = await partner<{ requested: string[] }>(rider.userId, 'POST', `/v1/transit/${op.id}/debt/payment`, {});
    expect(asked).toEqual({ status: 202, body: { requested: [PAST] } });
    const order = await until('QR order', async () => {
      const r = await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`);
      return r.body.days[0]?.payment?.qrCode ? r.body.days[0].payment : null;
    });
    expect(order).toMatchObject({ amount: 500, status: 'created' });
    // Asking again while it is open makes no second order.
    expect((await partner(rider.userId, 'POST', `/v1/transit/${op.id}/debt/payment`, { serviceDay: PAST })).status).toBe(202);
    p.payment.sim.buyer.pay(order.outTradeNo);

    await until('debt cleared', async () => {
      const r = await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`);
      return !r.body.inDebt && r.body.days.length === 0;
    });
    const cleared = await poll();
    expect(cleared.version).toBeGreaterThan(listed.version);
    expect(show().allow).toBe(true);
    const settled = await partner<{ stage: string; settlement: unknown }>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${PAST}`);
    expect(settled.body).toMatchObject({ stage: 'settled', settlement: { due: 500, paid: 500, owed: 0 } });
    const orders: Array<{ n: string }> = await p.services.db.query(`SELECT count(*) AS n FROM payments WHERE journey_id LIKE $1`, [
      `transit-day/${op.id}/${rider.riderRef}/%`,
    ]);
    expect(orders[0]?.n).toBe('1');
    expect((await partner(rider.userId, 'POST', `/v1/transit/${op.id}/debt/payment`, {})).status).toBe(404);
  });
});

describe('a day charged by agreement', () => {
  it("takes the platform's notification of the charge as ours, not as an unknown order", async () => {
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    await signTestAgreement(p.services.db, p.payment.provider, `${p.api.url}/v1/payments/agreement-notifications`, rider.riderId);
    const uploaded = await uploadTaps(p.api.url, op, rider.pseudonym, PAST, [
      [`${rider.riderRef}-1`, '10:00', 'M1', 'on'],
      [`${rider.riderRef}-2`, '10:30', 'M3', 'off'],
    ]);
    expect(uploaded).toMatchObject({ status: 200 });
    const trade = await until('charged', async () => {
      const rows: Array<{ out_trade_no: string }> = await p.services.db.query(
        `SELECT out_trade_no FROM transit_day_trades WHERE operator_id = $1 AND rider_ref = $2 AND status = 'paid'`,
        [op.id, rider.riderRef],
      );
      return rows[0]?.out_trade_no;
    });
    const inbox = await until('notification applied', async () => {
      const rows: Array<{ status: string; error: string | null }> = await p.services.db.query(
        `SELECT status, error FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
        [trade],
      );
      return rows[0]?.status === 'received' ? undefined : rows[0];
    });
    expect(inbox).toEqual({ status: 'applied', error: null });
  });
});

describe('a refused day retried at the next ride', () => {
  it('charges the owed day again when the rider taps on a later day, and clears the debt', async () => {
    const buyerId = `2088${randomInt(1e11, 1e12)}`;
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    await signTestAgreement(p.services.db, p.payment.provider, `${p.api.url}/v1/payments/agreement-notifications`, rider.riderId, buyerId);
    p.payment.sim.faults.inject({ kind: 'insufficientBalance', buyerId, times: 1 });
    const earlier = addDays(TODAY, -2);
    await uploadTaps(p.api.url, op, rider.pseudonym, earlier, [
      [`${rider.riderRef}-a`, '08:00', 'M1', 'on'],
      [`${rider.riderRef}-b`, '08:30', 'M3', 'off'],
    ]);
    await until('in debt', async () => (await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`)).body.inDebt);

    // The balance is back (the fault was used up); the rider taps yesterday's journey in.
    await uploadTaps(p.api.url, op, rider.pseudonym, PAST, [[`${rider.riderRef}-c`, '09:00', 'M1', 'on']]);
    await until('retried and paid', async () => {
      const r = await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`);
      return !r.body.inDebt && r.body.days.length === 0;
    });
    const settled = await partner<{ stage: string; settlement: unknown }>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${earlier}`);
    expect(settled.body).toMatchObject({ stage: 'settled', settlement: { due: 500, paid: 500, owed: 0, attempts: 1 } });
    const debts: Array<{ status: string }> = await p.services.db.query(
      'SELECT status FROM transit_debts WHERE operator_id = $1 AND rider_ref = $2',
      [op.id, rider.riderRef],
    );
    expect(debts).toEqual([{ status: 'paid' }]);
    // The rider's funnel (issue 13): each step once, whatever repeated (two days of taps, two rides).
    const steps = await until('rider funnel events', async () => {
      const rows: Array<{ stage: string; vertical: string; institution_id: string }> = await p.services.db.query(
        'SELECT stage, vertical, institution_id FROM journey_events WHERE journey_id = $1 ORDER BY id',
        [`transit-rider/${op.id}/${rider.riderRef}`],
      );
      return rows.length >= 5 ? rows : undefined;
    });
    expect(steps.map((e) => e.stage).sort()).toEqual(['cleared', 'enrolled', 'first_ride', 'in_debt', 'settled']);
    expect(steps.slice(0, 3).map((e) => e.stage)).toEqual(['enrolled', 'first_ride', 'in_debt']);
    expect(new Set(steps.map((e) => `${e.vertical}|${e.institution_id}`))).toEqual(new Set([`transit|${op.id}`]));
  });
});

describe('hostile input to the debt routes', () => {
  it('refuses deny-list reads that are unsigned, signed by another operator, or ask from an impossible version', async () => {
    const unsigned = await fetch(`${p.api.url}/v1/institutions/${op.id}/transit/deny-list`);
    expect(unsigned.status).toBe(401);
    const asOther = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: other.id, secret: other.secret });
    expect((await asOther.get(`/v1/institutions/${op.id}/transit/deny-list`)).status).toBe(403);
    const wrongSecret = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: op.id, secret: other.secret });
    expect((await wrongSecret.get(`/v1/institutions/${op.id}/transit/deny-list`)).status).toBe(401);
    const operator = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: op.id, secret: op.secret });
    for (const since of ['abc', '-1', '1e400']) {
      const r = await operator.get<DenyList>(`/v1/institutions/${op.id}/transit/deny-list?since=${since}`);
      expect(r.status).toBe(422);
      expect(r.body.errors?.map((e) => e.field)).toContain('query.since');
    }
    const ahead = await operator.get<DenyList>(`/v1/institutions/${op.id}/transit/deny-list?since=999999`);
    expect(ahead.status).toBe(422);
    expect(ahead.body.errors?.map((e) => e.field)).toEqual(['query.since']);
  });

  it('shows a user only their own debt, and refuses malformed pay requests naming the field', async () => {
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    const clean = await partner<Debt>(rider.userId, 'GET', `/v1/transit/${op.id}/debt`);
    expect(clean).toEqual({ status: 200, body: { operatorId: op.id, inDebt: false, totalOwed: 0, days: [] } });
    // Enrolled with one operator only: the other's debt is not theirs to read.
    expect((await partner(rider.userId, 'GET', `/v1/transit/${other.id}/debt`)).status).toBe(404);
    expect((await partner(rider.userId, 'GET', `/v1/transit/nobody/debt`)).status).toBe(404);
    const bad = await partner<{ errors?: Array<{ field: string }> }>(rider.userId, 'POST', `/v1/transit/${op.id}/debt/payment`, {
      serviceDay: 'yesterday',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['body.serviceDay']);
    const unknown = await partner<{ errors?: Array<{ field: string }> }>(rider.userId, 'POST', `/v1/transit/${op.id}/debt/payment`, {
      serviceDay: PAST,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors?.map((e) => e.field)).toEqual(['body.serviceDay']);
    const noUser = await fetch(`${p.api.url}/v1/transit/${op.id}/debt`, { headers: { authorization: `Bearer ${p.partner.apiKey}` } });
    expect(noUser.status).toBe(401);
  });
});
