import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTransitSettlementActivities, riderDayOutTradeNo } from '../../activities/transitSettlement';
import type { NotificationReceiver, PaymentHarness } from '../../integrations/payment/simulator';
import { openTestDb } from '../helpers/db';
import { withPaymentHarness } from '../helpers/payment';
import { createTestTransitOperator, createTestTransitRider } from '../helpers/transitFactories';

/**
 * The rider-day settlement step through the real alipay-sdk against the simulator and real
 * PostgreSQL: one charge per day revision however often the step runs; refusals come back as data.
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

/** A rider whose withholding agreement is signed at the simulator and stored on the rider row. */
async function riderWithAgreement(operatorId: string, buyerId?: string) {
  const rider = await createTestTransitRider(db, { operatorId });
  const externalAgreementNo = `T${randomBytes(12).toString('hex')}`;
  const page = await h.provider.agreementSignPage({ externalAgreementNo, externalLogonId: 'rider', notifyUrl: receiver.url });
  const shown = (await (await fetch(page.signUrl)).json()) as { confirmUrl: string };
  const confirmed = await fetch(shown.confirmUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(buyerId ? { buyerId } : {}),
  });
  const { agreementNo } = (await confirmed.json()) as { agreementNo: string };
  await db.query(`UPDATE transit_riders SET agreement_no = $1, external_agreement_no = $2 WHERE id = $3`, [
    agreementNo,
    externalAgreementNo,
    rider.riderId,
  ]);
  return rider;
}

const paidRows = async (outTradeNo: string): Promise<number> =>
  (await db.query<unknown[]>(`SELECT 1 FROM ledger_entries WHERE out_trade_no = $1 AND kind = 'paid'`, [outTradeNo])).length;

it('charges the day once; a repeated step finds the earlier trade and charges nothing more', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const rider = await riderWithAgreement(op.id);
  const acts = createTransitSettlementActivities({ db, payments: h.provider, notifyUrl: receiver.url });
  const input = {
    version: 1 as const,
    operatorId: op.id,
    riderRef: rider.riderRef,
    serviceDay: '2026-12-01',
    revision: 1,
    amountMinor: 1_100,
    currency: 'CNY',
  };
  const first = await acts.settleRiderDay(input);
  expect(first).toMatchObject({ outcome: 'paid', amountMinor: 1_100, currency: 'CNY', outTradeNo: riderDayOutTradeNo(input) });
  const again = await acts.settleRiderDay(input);
  expect(again).toEqual(first);
  expect(await h.provider.query(riderDayOutTradeNo(input))).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 1_100 });
  expect(await paidRows(riderDayOutTradeNo(input))).toBe(1);
  // Another revision of the same day is another charge.
  const rev2 = await acts.settleRiderDay({ ...input, revision: 2, amountMinor: 300 });
  expect(rev2).toMatchObject({ outcome: 'paid', amountMinor: 300 });
  expect(rev2.outTradeNo).not.toBe(first.outTradeNo);
});

it('a zero-charge day settles without a payment; refusals come back as data', async () => {
  const op = await createTestTransitOperator(db, (s) => s);
  const buyerId = `2088${randomBytes(6).toString('hex')}`;
  const rider = await riderWithAgreement(op.id, buyerId);
  const acts = createTransitSettlementActivities({ db, payments: h.provider, notifyUrl: receiver.url });
  const input = {
    version: 1 as const,
    operatorId: op.id,
    riderRef: rider.riderRef,
    serviceDay: '2026-12-02',
    revision: 1,
    amountMinor: 0,
    currency: 'CNY',
  };
  expect(await acts.settleRiderDay(input)).toEqual({ outcome: 'nothing_due', outTradeNo: null });
  h.sim.faults.inject({ kind: 'insufficientBalance', buyerId });
  const refused = await acts.settleRiderDay({ ...input, amountMinor: 500 });
  expect(refused).toMatchObject({ outcome: 'refused', outTradeNo: riderDayOutTradeNo(input) });
  expect(await paidRows(riderDayOutTradeNo(input))).toBe(0);
  const noAgreement = await createTestTransitRider(db, { operatorId: op.id });
  expect(await acts.settleRiderDay({ ...input, riderRef: noAgreement.riderRef, amountMinor: 500 })).toMatchObject({
    outcome: 'refused',
    reason: 'no_agreement',
  });
});
