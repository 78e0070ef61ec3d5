import { randomUUID } from 'node:crypto';
import { addDays } from '../../domain/hospital/serviceDay';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
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
  type AfcTapSpec,
  type TestOperator,
  type TestRider,
} from '../helpers/transitFactories';

/**
 * Incomplete-journey claims through the real platform: a rider who forgot to tap off claims where
 * they left; the claim becomes a tap-off, the settled day is priced again as a new revision, and the
 * difference to the maximum fare is refunded at the payment simulator. Refusals name their reason;
 * three accepted claims a month; a resent claim changes nothing.
 */
let p: TestPlatform;
let op: TestOperator;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);

beforeAll(async () => {
  const id = testOperatorId();
  p = await startTestPlatform({
    env: { TRANSIT_FORWARD_INTERVAL_MS: '200', TRANSIT_SETTLEMENT_DELAY_SECONDS: '0', TRANSIT_FORWARD_OPERATORS: id },
  });
  op = await createTestTransitOperator(p.services.db, (s) => p.services.pii.encrypt(s), { id });
  await storeMetrovilleFeed(p.services.db, op.id, addDays(TODAY, -10));
});
afterAll(async () => {
  await p?.stop();
});

async function partner<T>(userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': userId, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Claim {
  claimId: string;
  status: string;
  reason: string | null;
  errors?: Array<{ field: string }>;
}
interface Trips {
  stage: string;
  fare: number | null;
  trips: Array<{ journeyId: string; kind: string; toStopId: string | null; charged: number }>;
  settlement: { due: number; paid: number } | null;
}

/** A rider's day: tap-on at `from` at `time`, no tap-off; settled (charged the 9.00 maximum fare). */
async function forgottenTapOff(rider: TestRider, day: string, time = '08:00', from = 'M1'): Promise<string> {
  const tapId = `${randomUUID().slice(0, 8)}-on`;
  expect(await uploadTaps(p.api.url, op, rider.pseudonym, day, [[tapId, time, from, 'on']])).toMatchObject({ status: 200 });
  await until('settled at the maximum fare', async () => {
    const t = await partner<Trips>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${day}`);
    return t.body.stage === 'settled' && t.body.settlement?.paid === 900;
  });
  return tapId;
}

async function upload(rider: TestRider, day: string, taps: readonly AfcTapSpec[]): Promise<void> {
  expect(await uploadTaps(p.api.url, op, rider.pseudonym, day, taps)).toMatchObject({ status: 200 });
}

async function payingRider(): Promise<TestRider> {
  const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
  await signTestAgreement(p.services.db, p.payment.provider, `${p.api.url}/v1/payments/agreement-notifications`, rider.riderId);
  return rider;
}

describe('incomplete-journey claims', () => {
  it('turns an accepted claim into a tap-off and refunds the difference to the maximum fare', async () => {
    const rider = await payingRider();
    const day = addDays(TODAY, -1);
    const journeyId = await forgottenTapOff(rider, day);
    const claim = await partner<Claim>(rider.userId, 'POST', `/v1/transit/${op.id}/claims`, { serviceDay: day, journeyId, toStopId: 'M3' });
    expect(claim).toMatchObject({ status: 201, body: { status: 'accepted', reason: null } });

    // M1 → M3 is a 5.00 cross-zone trip: revision 2 refunds 4.00 of the 9.00 charged.
    const repriced = await until('re-priced and refunded', async () => {
      const t = await partner<Trips>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${day}`);
      return t.body.stage === 'settled' && t.body.settlement?.paid === 500 ? t.body : null;
    });
    expect(repriced.trips).toEqual([expect.objectContaining({ journeyId, kind: 'complete', toStopId: 'M3', charged: 500 })]);
    const trades: Array<{ out_trade_no: string; refunded_minor: string }> = await p.services.db.query(
      `SELECT out_trade_no, refunded_minor FROM transit_day_trades WHERE operator_id = $1 AND rider_ref = $2 AND status = 'paid'`,
      [op.id, rider.riderRef],
    );
    expect(trades.map((t) => t.refunded_minor)).toEqual(['400']);
    const platform = await p.payment.provider.query(trades[0]!.out_trade_no);
    expect(platform).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 900 });

    // The same claim again: the first answer, nothing new.
    const again = await partner<Claim>(rider.userId, 'POST', `/v1/transit/${op.id}/claims`, { serviceDay: day, journeyId, toStopId: 'M4' });
    expect(again.body).toMatchObject({ claimId: claim.body.claimId, status: 'accepted' });
    const listed = await partner<{ remainingThisMonth: number; claims: Claim[] }>(rider.userId, 'GET', `/v1/transit/${op.id}/claims`);
    expect(listed.body).toMatchObject({ remainingThisMonth: 2, claims: [{ claimId: claim.body.claimId }] });
  });

  it('refuses claims the taps contradict, for complete journeys and unknown stops, and past three a month', async () => {
    // A later journey began at M4: the rider left the system there, not at M3.
    const day = addDays(TODAY, -2);
    const other = await payingRider();
    const j1 = await forgottenTapOff(other, day, '08:00', 'M1');
    await upload(other, day, [
      [`${j1}-2`, '10:00', 'M4', 'on'],
      [`${j1}-3`, '10:30', 'M1', 'off'],
    ]);
    await until('second journey priced', async () => {
      const t = await partner<Trips>(other.userId, 'GET', `/v1/transit/${op.id}/trips?day=${day}`);
      return t.body.trips.length === 2 && t.body.stage === 'settled';
    });
    const claim = (userId: string, journeyId: string, toStopId: string) =>
      partner<Claim>(userId, 'POST', `/v1/transit/${op.id}/claims`, { serviceDay: day, journeyId, toStopId });
    expect((await claim(other.userId, j1, 'M3')).body).toMatchObject({ status: 'refused', reason: 'inconsistent_with_taps' });
    expect((await claim(other.userId, `${j1}-2`, 'M3')).body).toMatchObject({ status: 'refused', reason: 'not_incomplete' });

    // Five forgotten tap-offs in a day, each next journey starting where the claim says the last ended.
    const rider = await payingRider();
    // 3.5 h apart: longer than a metro journey may last (180 min), so no two taps pair up.
    const starts = [
      ['05:00', 'M1'],
      ['08:30', 'M3'],
      ['12:00', 'M1'],
      ['15:30', 'M3'],
      ['19:00', 'M1'],
    ] as const;
    const id = randomUUID().slice(0, 8);
    await upload(
      rider,
      day,
      starts.map(([time, stop], n) => [`${id}-${n}`, time, stop, 'on'] as const),
    );
    await until('five maximum fares settled', async () => {
      const t = await partner<Trips>(rider.userId, 'GET', `/v1/transit/${op.id}/trips?day=${day}`);
      return t.body.stage === 'settled' && t.body.trips.filter((j) => j.kind === 'maximum_fare').length === 5;
    });
    expect((await claim(rider.userId, `${id}-4`, 'NOWHERE')).body).toMatchObject({ status: 'refused', reason: 'unknown_stop' });
    const answers: string[] = [];
    for (const n of [0, 1, 2, 3]) {
      const r = await claim(rider.userId, `${id}-${n}`, starts[n + 1]![1]);
      answers.push(`${r.body.status}${r.body.reason ? `:${r.body.reason}` : ''}`);
    }
    expect(answers).toEqual(['accepted', 'accepted', 'accepted', 'refused:monthly_limit']);
    const listed = await partner<{ remainingThisMonth: number; claims: Claim[] }>(rider.userId, 'GET', `/v1/transit/${op.id}/claims`);
    expect(listed.body.remainingThisMonth).toBe(0);
    expect(listed.body.claims).toHaveLength(5);
  });

  it('refuses malformed claims naming the field, and claims for journeys that do not exist', async () => {
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    const post = (body: unknown) => partner<Claim>(rider.userId, 'POST', `/v1/transit/${op.id}/claims`, body);
    for (const [body, field] of [
      [{ serviceDay: 'yesterday', journeyId: 'x', toStopId: 'M1' }, 'body.serviceDay'],
      [{ serviceDay: TODAY, journeyId: '', toStopId: 'M1' }, 'body.journeyId'],
      [{ serviceDay: TODAY, journeyId: 'x', toStopId: 'M'.repeat(65) }, 'body.toStopId'],
      [{ serviceDay: TODAY, journeyId: 'x', toStopId: 'M1', extra: 1 }, 'body'],
    ] as const) {
      const r = await post(body);
      expect(r.status).toBe(422);
      expect(r.body.errors?.map((e) => e.field).join()).toContain(field);
    }
    const missing = await post({ serviceDay: TODAY, journeyId: 'nope', toStopId: 'M1' });
    expect(missing.status).toBe(404);
    expect(missing.body.errors?.map((e) => e.field)).toEqual(['body.journeyId']);
    expect(
      (await partner(rider.userId, 'POST', `/v1/transit/nobody/claims`, { serviceDay: TODAY, journeyId: 'x', toStopId: 'M1' })).status,
    ).toBe(404);
  });
});
