import { randomInt, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTransitSettlementActivities, riderDayOutTradeNo, type SettleRiderDayInput } from '../../activities/transitSettlement';
import { upsertRiderDayView } from '../../db/queries/riderDayView';
import { insertCredentialIfAllowed } from '../../db/repositories/transitRiders';
import { denyListChangesSince, tradesOfDay } from '../../db/repositories/transitSettlement';
import type { NotificationReceiver, PaymentHarness } from '../../integrations/payment/simulator';
import type { RiderDayView } from '../../workflows/transit/riderDay/types';
import { openTestDb } from '../helpers/db';
import { withPaymentHarness } from '../helpers/payment';
import { addTestCredential, createTestTransitOperator, createTestTransitRider, signTestAgreement } from '../helpers/transitFactories';

/**
 * The rider-day settlement steps through the real alipay-sdk against the simulator and real
 * PostgreSQL: each step charges or refunds only the difference to what the day's trades paid, as
 * often as it runs; refusals come back as data; debts put pseudonyms on the numbered deny list.
 */
let h: PaymentHarness;
let receiver: NotificationReceiver;
let db: DataSource;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});
beforeAll(async () => {
  db = await openTestDb(2);
});
afterAll(async () => {
  await db.destroy();
});

const acts = () => createTransitSettlementActivities({ db, payments: h.provider, notifyUrl: receiver.url });

async function riderWithAgreement(operatorId: string, buyerId?: string) {
  const rider = await createTestTransitRider(db, { operatorId });
  await signTestAgreement(db, h.provider, receiver.url, rider.riderId, buyerId);
  return rider;
}

const ledgerSum = async (outTradeNos: string[]): Promise<number> => {
  const rows: Array<{ s: string | null }> = await db.query(
    `SELECT sum(amount_minor) AS s FROM ledger_entries WHERE out_trade_no = ANY($1) AND kind IN ('paid', 'refunded')`,
    [outTradeNos],
  );
  return Number(rows[0]?.s ?? 0);
};

function day(operatorId: string, riderRef: string, over: Partial<SettleRiderDayInput> = {}): SettleRiderDayInput {
  return {
    version: 1,
    operatorId,
    riderRef,
    serviceDay: '2026-12-01',
    revision: 1,
    attempt: 0,
    dueMinor: 1_100,
    currency: 'CNY',
    chargeAllowed: true,
    ...over,
  };
}

it('charges the day once, a late revision only the difference, and refunds when it costs less', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const rider = await riderWithAgreement(op.id);
  const a = acts();
  const first = day(op.id, rider.riderRef);
  expect(await a.settleRiderDay(first)).toEqual({
    outcome: 'settled',
    paidMinor: 1_100,
    chargedMinor: 1_100,
    refundedMinor: 0,
    waivedMinor: 0,
  });
  // The same step again (a retried activity): the day is paid, nothing moves.
  expect(await a.settleRiderDay(first)).toEqual({
    outcome: 'settled',
    paidMinor: 1_100,
    chargedMinor: 0,
    refundedMinor: 0,
    waivedMinor: 0,
  });
  expect(await h.provider.query(riderDayOutTradeNo(first))).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 1_100 });

  // Revision 2 costs 24.00: 13.00 more is charged under its own out_trade_no.
  const second = day(op.id, rider.riderRef, { revision: 2, dueMinor: 2_400 });
  expect(await a.settleRiderDay(second)).toMatchObject({ outcome: 'settled', paidMinor: 2_400, chargedMinor: 1_300 });
  expect(await h.provider.query(riderDayOutTradeNo(second))).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 1_300 });

  // Revision 3 costs 5.00: 19.00 goes back, from the newest trade first (13.00), then 6.00 of the first.
  const third = day(op.id, rider.riderRef, { revision: 3, dueMinor: 500 });
  expect(await a.settleRiderDay(third)).toMatchObject({ outcome: 'settled', paidMinor: 500, refundedMinor: 1_900 });
  expect(await a.settleRiderDay(third)).toMatchObject({ outcome: 'settled', paidMinor: 500, refundedMinor: 0 });
  // Past the late-tap window a higher price is waived; a lower one is still refunded.
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { revision: 4, dueMinor: 900, chargeAllowed: false }))).toMatchObject({
    paidMinor: 500,
    waivedMinor: 400,
  });
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { revision: 5, dueMinor: 300, chargeAllowed: false }))).toMatchObject({
    paidMinor: 300,
    refundedMinor: 200,
  });
  const trades = await tradesOfDay(db, first);
  expect(trades.map((t) => [t.revision, t.amount_minor, t.refunded_minor, t.status])).toEqual([
    [2, 1_300, 1_300, 'paid'],
    [1, 1_100, 800, 'paid'],
  ]);
  // Our ledger and the platform agree on the day: 3.00 kept.
  expect(await ledgerSum(trades.map((t) => t.out_trade_no))).toBe(300);
  const platform = await Promise.all(trades.map((t) => h.provider.query(t.out_trade_no)));
  expect(platform.map((p) => p.status)).toEqual(['TRADE_CLOSED', 'TRADE_SUCCESS']);
});

it('settles a free day without a payment, waives a late higher price, and returns refusals as data', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const buyerId = `2088${randomInt(1e11, 1e12)}`;
  const rider = await riderWithAgreement(op.id, buyerId);
  const a = acts();
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { dueMinor: 0 }))).toMatchObject({ outcome: 'nothing_due', paidMinor: 0 });
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { chargeAllowed: false }))).toEqual({
    outcome: 'nothing_due',
    paidMinor: 0,
    chargedMinor: 0,
    refundedMinor: 0,
    waivedMinor: 1_100,
  });

  h.sim.faults.inject({ kind: 'insufficientBalance', buyerId, times: 1 });
  const input = day(op.id, rider.riderRef, { serviceDay: '2026-12-02', dueMinor: 500 });
  const refused = await a.settleRiderDay(input);
  expect(refused).toMatchObject({ outcome: 'refused', owedMinor: 500, paidMinor: 0, outTradeNo: riderDayOutTradeNo(input) });
  expect(refused).toMatchObject({ reason: 'insufficient_balance' });
  // The next attempt has its own out_trade_no and succeeds once the balance is back.
  const retried = await a.settleRiderDay({ ...input, attempt: 1 });
  expect(retried).toMatchObject({ outcome: 'settled', chargedMinor: 500 });
  expect((await tradesOfDay(db, input)).map((t) => [t.status, t.amount_minor])).toEqual([
    ['paid', 500],
    ['refused', 500],
  ]);

  const noAgreement = await createTestTransitRider(db, { operatorId: op.id });
  expect(await a.settleRiderDay(day(op.id, noAgreement.riderRef))).toMatchObject({
    outcome: 'refused',
    reason: 'no_agreement',
    owedMinor: 1_100,
  });
});

it('a debt lists the live pseudonyms under one new version and its payment removes them; no credential meanwhile', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const rider = await createTestTransitRider(db, { operatorId: op.id });
  const second = await addTestCredential(db, { operatorId: op.id, riderId: rider.riderId });
  const expired = await addTestCredential(db, { operatorId: op.id, riderId: rider.riderId });
  await db.query(`UPDATE transit_credentials SET valid_until = now() - interval '1 minute' WHERE pseudonym = $1`, [expired]);
  const a = acts();
  const k = { operatorId: op.id, riderRef: rider.riderRef };

  const opened = await a.openRiderDebt({ ...k, serviceDay: '2026-12-01', owedMinor: 700, currency: 'CNY', reason: 'insufficient_balance' });
  expect(opened.denyListVersion).toBe(1);
  expect(await denyListChangesSince(db, op.id, 0)).toEqual({
    version: 1,
    changes: [rider.pseudonym, second].sort().map((pseudonym) => ({ pseudonym, action: 'add' })),
  });
  // A second day in debt changes nothing at the gates; the rider gets no credential.
  expect(await a.openRiderDebt({ ...k, serviceDay: '2026-12-02', owedMinor: 300, currency: 'CNY', reason: 'no_agreement' })).toEqual({
    denyListVersion: null,
  });
  const credential = {
    pseudonym: `ps_${randomUUID().replace(/-/g, '')}`,
    operatorId: op.id,
    riderId: rider.riderId,
    keyId: 'k1',
    devicePublicKey: 'x',
    validFrom: new Date(),
    validUntil: new Date(Date.now() + 3_600_000),
  };
  expect(await insertCredentialIfAllowed(db, credential, 10)).toBe('refused');

  // Paying one day leaves the rider listed; paying the last lets them through again.
  expect(await a.closeRiderDebt({ ...k, serviceDay: '2026-12-01', status: 'paid' })).toEqual({ denyListVersion: null });
  expect(await a.closeRiderDebt({ ...k, serviceDay: '2026-12-02', status: 'paid' })).toEqual({ denyListVersion: 2 });
  expect(await a.closeRiderDebt({ ...k, serviceDay: '2026-12-02', status: 'paid' })).toEqual({ denyListVersion: null });
  expect(await denyListChangesSince(db, op.id, 1)).toEqual({
    version: 2,
    changes: [rider.pseudonym, second].sort().map((pseudonym) => ({ pseudonym, action: 'remove' })),
  });
  expect(await denyListChangesSince(db, op.id, 2)).toEqual({ version: 2, changes: [] });
  expect(await insertCredentialIfAllowed(db, credential, 10)).toBe('stored');
});

it('numbers deny-list changes without gaps under concurrent debts of many riders', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const riders = await Promise.all(Array.from({ length: 8 }, () => createTestTransitRider(db, { operatorId: op.id })));
  const a = acts();
  const versions = await Promise.all(
    riders.map((r) =>
      a.openRiderDebt({ operatorId: op.id, riderRef: r.riderRef, serviceDay: '2026-12-01', owedMinor: 100, currency: 'CNY', reason: 'x' }),
    ),
  );
  expect(versions.map((v) => v.denyListVersion).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const all = await denyListChangesSince(db, op.id, 0);
  expect(all.changes.map((c) => c.pseudonym).sort()).toEqual(riders.map((r) => r.pseudonym).sort());
});

it("ends a cancelling rider's agreement once their last open day settles, not before", async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const rider = await riderWithAgreement(op.id);
  const [row] = await db.query<Array<{ agreement_no: string }>>('SELECT agreement_no FROM transit_riders WHERE id = $1', [rider.riderId]);
  await db.query(`UPDATE transit_riders SET status = 'cancelling', cancel_requested_at = now() WHERE id = $1`, [rider.riderId]);
  // Another day is still being priced: settling this one keeps the agreement.
  await upsertRiderDayView(db, { view: openView(op.id, rider.riderRef, '2026-12-02'), seq: 1 });
  const a = acts();
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { serviceDay: '2026-12-01' }))).toMatchObject({ outcome: 'settled' });
  const still: Array<{ status: string }> = await db.query('SELECT status FROM transit_riders WHERE id = $1', [rider.riderId]);
  expect(still).toEqual([{ status: 'cancelling' }]);
  expect(await h.provider.queryAgreement({ agreementNo: row!.agreement_no })).toMatchObject({ status: 'NORMAL' });

  // The last open day settles (charged by the agreement it still has), then the agreement is unsigned.
  expect(await a.settleRiderDay(day(op.id, rider.riderRef, { serviceDay: '2026-12-02', dueMinor: 300 }))).toMatchObject({
    outcome: 'settled',
    chargedMinor: 300,
  });
  const done: Array<{ status: string }> = await db.query('SELECT status FROM transit_riders WHERE id = $1', [rider.riderId]);
  expect(done).toEqual([{ status: 'cancelled' }]);
  expect(await h.provider.queryAgreement({ agreementNo: row!.agreement_no })).toEqual({ status: 'NOT_FOUND' }); // unsigned
});

/** A rider-day view still taking taps. */
function openView(operatorId: string, riderRef: string, serviceDay: string): RiderDayView {
  return {
    operatorId,
    riderRef,
    serviceDay,
    stage: 'priced',
    revision: 1,
    feedVersion: null,
    taps: { total: 1, denied: 0, overLimit: 0 },
    trace: null,
    settleAfterMs: Date.now() + 3_600_000,
  };
}

it('two overlapping runs of the same step (a timed-out attempt still running) charge once and both say paid', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const rider = await riderWithAgreement(op.id);
  const a = acts();
  const input = day(op.id, rider.riderRef, { dueMinor: 700 });
  const both = await Promise.all([a.settleRiderDay(input), a.settleRiderDay(input)]);
  expect(both.map((r) => [r.outcome, r.paidMinor])).toEqual([
    ['settled', 700],
    ['settled', 700],
  ]);
  expect(await h.provider.query(riderDayOutTradeNo(input))).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 700 });
  expect((await tradesOfDay(db, input)).map((t) => [t.status, t.amount_minor])).toEqual([['paid', 700]]);
});
