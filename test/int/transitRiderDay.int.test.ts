import { randomInt, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { createPaymentActivities } from '../../activities/payment';
import { createTransitActivities } from '../../activities/transit';
import { createTransitSettlementActivities } from '../../activities/transitSettlement';
import { startTapForwarder, type TapForwarder } from '../../api/transit/tapForwarder';
import { readRiderDayView } from '../../db/queries/riderDayView';
import { transitOperatorCache } from '../../db/repositories/transitOperators';
import { denyListChangesSince, tradesOfDay } from '../../db/repositories/transitSettlement';
import { storeTaps, type IncomingTap } from '../../db/repositories/transitTaps';
import { addDays } from '../../domain/hospital/serviceDay';
import { workflowIds } from '../../domain/ids';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { createLogger } from '../../platform/logger';
import type { NotificationReceiver, PaymentHarness } from '../../integrations/payment/simulator';
import { payRiderDebtSignal } from '../../workflows/transit/riderDay/definitions';
import type { RiderDayTaps } from '../../workflows/transit/riderDay/types';
import { openTestDb } from '../helpers/db';
import { recordHistory } from '../helpers/histories';
import { withPaymentHarness } from '../helpers/payment';
import { until } from '../helpers/poll';
import { createTestWorker, type TestTemporal } from '../helpers/temporal';
import {
  createTestTransitOperator,
  createTestTransitRider,
  METROVILLE_ZONE,
  metrovilleTime,
  signTestAgreement,
  storeMetrovilleFeed,
  type TestOperator,
  type TestRider,
} from '../helpers/transitFactories';

/**
 * The rider-day workflow on the real Temporal dev server, fed the real way: taps stored in
 * PostgreSQL, forwarded by the tap forwarder (signal-with-start), priced by the pure engine with the
 * operator's stored feed, published to rider_day_views. Past service days end at once (no sleeping).
 */
let t: TestTemporal;
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});
let running: Promise<void>;
let db: DataSource;
let forwarder: TapForwarder;
let op: TestOperator;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);
const PAST = addDays(TODAY, -3);
const logger = createLogger({ level: 'silent', name: 'test' });

function forwarderOn(conn: DataSource, temporal: Client = t.client): TapForwarder {
  return startTapForwarder({
    db: conn,
    temporal,
    taskQueue: t.taskQueue,
    logger,
    operatorOf: transitOperatorCache(conn),
    intervalMs: 200,
    // Other test files store taps in the same database; this file forwards only its own operator's.
    operators: [op.id],
    batch: 25,
    // An hour after the day ends: today's rider-days stay open for the whole test, past ones end at once.
    settlementDelaySeconds: 3_600,
    // A refused charge is tried again 1 s and 2 s after the first refusal, then the day is a debt.
    chargeRetrySeconds: [1, 2],
    lateChargeDays: 3,
  });
}

beforeAll(async () => {
  db = await openTestDb(4);
  const money = { db, payments: h.provider, notifyUrl: receiver.url };
  t = await createTestWorker({
    activities: {
      ...createTransitActivities({ db }),
      ...createTransitSettlementActivities(money),
      ...createPaymentActivities(money),
    },
  });
  running = t.worker.run();
  op = await createTestTransitOperator(db, (s) => s);
  forwarder = forwarderOn(db);
  await storeMetrovilleFeed(db, op.id, addDays(TODAY, -10));
});
afterAll(async () => {
  await forwarder?.stop();
  t?.worker.shutdown();
  await running;
  await t?.close();
  await db?.destroy();
});

type TapSpec = [tapId: string, day: string, time: string, place: string, tapType: IncomingTap['tapType'], routeId?: string];

function taps(rider: TestRider, specs: TapSpec[]): IncomingTap[] {
  return specs.map(([tapId, day, time, place, tapType, routeId]) => ({
    tapId,
    pseudonym: rider.pseudonym,
    stopId: place,
    ...(routeId ? { routeId } : {}),
    deviceId: 'gate-1',
    tapType,
    gateDecision: 'allow' as const,
    transactionAt: metrovilleTime(day, time),
    serviceDay: day,
  }));
}

async function post(list: IncomingTap[], operatorId = op.id) {
  const stored = await storeTaps(db, operatorId, list);
  forwarder.poke();
  return stored;
}

/** A rider whose withholding agreement is signed (their days are charged); `buyerId` names the payer at the simulator. */
async function payingRider(buyerId?: string): Promise<TestRider> {
  const rider = await createTestTransitRider(db, { operatorId: op.id });
  await signTestAgreement(db, h.provider, receiver.url, rider.riderId, buyerId);
  return rider;
}

const viewOf = (rider: TestRider, day: string) => readRiderDayView(db, { operatorId: op.id, riderRef: rider.riderRef, serviceDay: day });
/** The day's trades, newest first: [revision, amount, refunded]. */
async function tradeAmounts(rider: TestRider, day: string): Promise<Array<[number, number, number]>> {
  const trades = await tradesOfDay(db, { operatorId: op.id, riderRef: rider.riderRef, serviceDay: day });
  return trades.filter((x) => x.status === 'paid').map((x) => [x.revision, x.amount_minor, x.refunded_minor]);
}
const handleOf = (rider: TestRider, day: string) => t.client.workflow.getHandle(workflowIds.transitDay(op.id, rider.riderRef, day));

describe('rider-day workflow', () => {
  it("keeps today's day open, re-pricing the whole day after each batch and ignoring tap ids it has", async () => {
    const rider = await createTestTransitRider(db, { operatorId: op.id });
    const id = randomUUID().slice(0, 6);
    await post(
      taps(rider, [
        [`${id}-1`, TODAY, '08:00', 'M1', 'on'],
        [`${id}-2`, TODAY, '08:30', 'M3', 'off'],
      ]),
    );
    const first = await until('first batch priced', async () => {
      const v = await viewOf(rider, TODAY);
      return v?.view.trace?.charge === 500 ? v.view : null;
    });
    expect(first).toMatchObject({ stage: 'priced', revision: 1, feedVersion: 1, taps: { total: 2, denied: 0, overLimit: 0 } });

    // The same tap-on again, and a bus 60 minutes after the metro departure: a transfer, 2.00 − 1.00.
    const again = await post(
      taps(rider, [
        [`${id}-1`, TODAY, '08:00', 'M1', 'on'],
        [`${id}-3`, TODAY, '09:00', 'B1', 'on', 'R10'],
      ]),
    );
    expect([...again.values()]).toEqual(['duplicate', 'accepted']);
    const second = await until('second batch priced', async () => {
      const v = await viewOf(rider, TODAY);
      return v?.view.taps.total === 3 ? v.view : null;
    });
    expect(second.stage).toBe('priced');
    expect(second.trace?.charge).toBe(600);
    expect(
      second.trace?.journeys.map((j) => [j.journeyId, j.fareProductId, j.nominal, j.adjustments.map((a) => a.amount), j.charged]),
    ).toEqual([
      [`${id}-1`, 'metro_cross_zone', 500, [], 500],
      [`${id}-3`, 'bus_flat', 200, [-100], 100],
    ]);

    // An operator terminates the run mid-day: the next tap starts a run that takes over the view.
    await handleOf(rider, TODAY).terminate('operator stopped it');
    await post(taps(rider, [[`${id}-4`, TODAY, '12:00', 'M3', 'on']]));
    const taken = await until('new run publishes', async () => {
      const v = await viewOf(rider, TODAY);
      return v?.view.revision === 2 ? v.view : null;
    });
    expect(taken.taps.total).toBe(4);
    await handleOf(rider, TODAY).terminate('test over');
  });

  it('ends a past day awaiting settlement at once; late taps start a new revision that prices the whole day', async () => {
    const rider = await payingRider();
    const id = randomUUID().slice(0, 6);
    await post(
      taps(rider, [
        [`${id}-1`, PAST, '08:00', 'M1', 'on'],
        [`${id}-2`, PAST, '08:30', 'M3', 'off'], // 5.00
        [`${id}-3`, PAST, '09:00', 'B1', 'on', 'R10'], // bus after metro: 1.00
        [`${id}-4`, PAST, '12:00', 'M3', 'on'],
        [`${id}-5`, PAST, '12:30', 'M1', 'off'], // 5.00
      ]),
    );
    const ended = await until('first run settled', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.stage === 'settled' ? v.view : null;
    });
    expect(ended).toMatchObject({ revision: 1, taps: { total: 5 }, settlement: { dueMinor: 1100, paidMinor: 1100, owedMinor: 0 } });
    expect(ended.trace?.charge).toBe(1100);
    const firstRun = await handleOf(rider, PAST).result();
    expect(firstRun).toEqual({ stage: 'settled', revision: 1, charge: 1100, currency: 'CNY', taps: 5, paid: 1100 });
    await recordHistory(handleOf(rider, PAST), 'past-day');

    // Three days late: a journey that reaches the daily cap, a forgotten tap-off, and a resent tap.
    await post(
      taps(rider, [
        [`${id}-3`, PAST, '09:00', 'B1', 'on', 'R10'],
        [`${id}-6`, PAST, '17:00', 'M1', 'on'],
        [`${id}-7`, PAST, '17:40', 'M4', 'off'], // 5.00, of which 4.00 under the 15.00 cap
        [`${id}-8`, PAST, '19:00', 'M2', 'on'], // no tap-off: the 9.00 maximum fare, outside the cap
      ]),
    );
    const revised = await until('second revision settled', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.revision === 2 && v.view.stage === 'settled' ? v.view : null;
    });
    expect(revised.taps.total).toBe(8);
    expect(revised.trace?.journeys.map((j) => [j.journeyId, j.kind, j.charged])).toEqual([
      [`${id}-1`, 'complete', 500],
      [`${id}-3`, 'complete', 100],
      [`${id}-4`, 'complete', 500],
      [`${id}-6`, 'complete', 400],
      [`${id}-8`, 'maximum_fare', 900],
    ]);
    expect(revised.trace?.charge).toBe(1500 + 900);
    expect(revised.trace?.caps.find((c) => c.capId === 'daily')).toMatchObject({ amount: 1500, countedToday: 1500, reached: true });
    // Only the difference was charged: 11.00 before, 13.00 now.
    expect(revised.settlement).toMatchObject({ dueMinor: 2400, paidMinor: 2400, owedMinor: 0 });
    expect(await tradeAmounts(rider, PAST)).toEqual([
      [2, 1300, 0],
      [1, 1100, 0],
    ]);
    await recordHistory(handleOf(rider, PAST), 'late-taps-new-revision');

    // The forgotten tap-off turns up: the 9.00 maximum fare becomes a journey under the reached cap
    // (0.00), so revision 3 refunds 9.00, from the newest trade.
    await post(taps(rider, [[`${id}-9`, PAST, '19:40', 'M3', 'off']]));
    const refunded = await until('third revision settled', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.revision === 3 && v.view.stage === 'settled' ? v.view : null;
    });
    expect(refunded.trace?.charge).toBe(1500);
    expect(refunded.settlement).toMatchObject({ dueMinor: 1500, paidMinor: 1500 });
    expect(await tradeAmounts(rider, PAST)).toEqual([
      [2, 1300, 900],
      [1, 1100, 0],
    ]);
    await recordHistory(handleOf(rider, PAST), 'late-tap-refund');
  });

  it('keeps denied taps without pricing them, and prices nothing for a day no feed covers', async () => {
    const rider = await payingRider();
    const id = randomUUID().slice(0, 6);
    const denied = taps(rider, [[`${id}-0`, PAST, '07:55', 'M1', 'on']]).map((x) => ({ ...x, gateDecision: 'deny' as const }));
    await post([
      ...denied,
      ...taps(rider, [
        [`${id}-1`, PAST, '08:00', 'M1', 'on'],
        [`${id}-2`, PAST, '08:20', 'M3', 'off'],
      ]),
    ]);
    const v = await until('settled', async () => (await viewOf(rider, PAST))?.view.stage === 'settled' && (await viewOf(rider, PAST)));
    expect(v.view.taps).toEqual({ total: 3, denied: 1, overLimit: 0 });
    expect(v.view.trace?.journeys.map((j) => j.journeyId)).toEqual([`${id}-1`]);

    const longAgo = addDays(TODAY, -20); // before the feed applies
    await post(taps(rider, [[`${id}-9`, longAgo, '08:00', 'M1', 'on']]));
    const unpriced = await until('unpriced day ended', async () => {
      const w = await viewOf(rider, longAgo);
      return w?.view.stage === 'nothing_due' ? w.view : null;
    });
    expect(unpriced).toMatchObject({ feedVersion: null, trace: null, taps: { total: 1 }, settlement: { dueMinor: 0, paidMinor: 0 } });
  });

  it('forwards each stored tap once with two forwarders claiming from the same table', async () => {
    const second = await openTestDb(2);
    const other = forwarderOn(second);
    try {
      const riders = await Promise.all(Array.from({ length: 6 }, () => createTestTransitRider(db, { operatorId: op.id })));
      const id = randomUUID().slice(0, 6);
      const all = riders.flatMap((r, i) =>
        taps(
          r,
          Array.from({ length: 10 }, (_, k): TapSpec => [
            `${id}-${i}-${k}`,
            TODAY,
            `1${k}:0${i}`,
            k % 2 ? 'M3' : 'M1',
            k % 2 ? 'off' : 'on',
          ]),
        ),
      );
      await storeTaps(db, op.id, all);
      forwarder.poke();
      other.poke();
      await until('every tap forwarded', async () => {
        const rows: Array<{ n: string }> = await db.query(
          `SELECT count(*) AS n FROM transit_taps WHERE operator_id = $1 AND tap_id LIKE $2 AND status = 'forwarded'`,
          [op.id, `${id}-%`],
        );
        return Number(rows[0]?.n) === 60;
      });
      for (const r of riders) {
        await until('rider priced', async () => (await viewOf(r, TODAY))?.view.taps.total === 10);
        // Every tap reached the workflow in exactly one signal: no row was forwarded by both.
        const history = await handleOf(r, TODAY).fetchHistory();
        const signalled = (history.events ?? []).flatMap((e) => {
          const payload = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
          return payload ? defaultPayloadConverter.fromPayload<RiderDayTaps>(payload).taps.map((x) => x.tapId) : [];
        });
        expect(signalled.sort()).toEqual(Array.from({ length: 10 }, (_, k) => `${id}-${riders.indexOf(r)}-${k}`).sort());
        await handleOf(r, TODAY).terminate('test over');
      }
    } finally {
      await other.stop();
      await second.destroy();
    }
  });

  it('retries a refused charge on the schedule, then lists the rider as in debt until the QR code is paid', async () => {
    const buyerId = `2088${randomInt(1e11, 1e12)}`;
    const rider = await payingRider(buyerId);
    h.sim.faults.inject({ kind: 'insufficientBalance', buyerId, times: 3 });
    const { version: listBefore } = await denyListChangesSince(db, op.id, 0);
    const id = randomUUID().slice(0, 6);
    await post(
      taps(rider, [
        [`${id}-1`, PAST, '08:00', 'M1', 'on'],
        [`${id}-2`, PAST, '08:30', 'M3', 'off'],
      ]),
    );
    const retrying = await until('first refusal', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.stage === 'charge_retrying' ? v.view : null;
    });
    expect(retrying.settlement).toMatchObject({ dueMinor: 500, owedMinor: 500, attempts: 1, refusal: 'insufficient_balance' });
    expect(retrying.settlement?.nextAttemptAt).toEqual(expect.any(String));

    // Refused at the first attempt and both retries (1 s and 2 s later): the day is a debt.
    const inDebt = await until('in debt', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.stage === 'in_debt' ? v.view : null;
    });
    expect(inDebt.settlement).toMatchObject({ owedMinor: 500, paidMinor: 0, attempts: 3, nextAttemptAt: null });
    const listed = await denyListChangesSince(db, op.id, listBefore);
    expect(listed.changes).toEqual([{ pseudonym: rider.pseudonym, action: 'add' }]);
    const debts: Array<{ amount_minor: string; reason: string; status: string }> = await db.query(
      'SELECT amount_minor, reason, status FROM transit_debts WHERE operator_id = $1 AND rider_ref = $2',
      [op.id, rider.riderRef],
    );
    expect(debts).toEqual([{ amount_minor: '500', reason: 'insufficient_balance', status: 'open' }]);
    // Operators find riders in debt by search attribute.
    await until('visible as in debt', async () => {
      const found = t.client.workflow.list({ query: `CausewayInstitution = '${op.id}' AND CausewayStage = 'in_debt'` });
      for await (const w of found) if (w.workflowId === workflowIds.transitDay(op.id, rider.riderRef, PAST)) return true;
      return false;
    });

    // The rider pays: a QR order of the amount owed, paid on the phone.
    await handleOf(rider, PAST).signal(payRiderDebtSignal, { version: 1 });
    const order = await until('debt QR order', async () => {
      const rows: Array<{ out_trade_no: string; amount_minor: string; qr_code: string | null }> = await db.query(
        'SELECT out_trade_no, amount_minor, qr_code FROM payments WHERE journey_id = $1',
        [workflowIds.transitDay(op.id, rider.riderRef, PAST)],
      );
      return rows[0]?.qr_code ? rows[0] : null;
    });
    expect(order.amount_minor).toBe('500');
    h.sim.buyer.pay(order.out_trade_no);
    const settled = await until('settled after paying', async () => {
      const v = await viewOf(rider, PAST);
      return v?.view.stage === 'settled' ? v.view : null;
    });
    expect(settled.settlement).toMatchObject({ dueMinor: 500, paidMinor: 500, owedMinor: 0 });
    expect(await denyListChangesSince(db, op.id, listed.version)).toMatchObject({
      changes: [{ pseudonym: rider.pseudonym, action: 'remove' }],
    });
    const after: Array<{ in_debt: boolean }> = await db.query('SELECT in_debt FROM transit_riders WHERE id = $1', [rider.riderId]);
    expect(after).toEqual([{ in_debt: false }]);
    expect(await tradeAmounts(rider, PAST)).toEqual([[1, 500, 0]]);
    await recordHistory(handleOf(rider, PAST), 'debt-paid-by-qr');
  });

  it('charges nothing for taps that arrive past the late-tap window', async () => {
    const rider = await payingRider();
    const old = addDays(TODAY, -5); // ended more than 3 days ago: an offline gate's bulk upload
    const id = randomUUID().slice(0, 6);
    await post(
      taps(rider, [
        [`${id}-1`, old, '08:00', 'M1', 'on'],
        [`${id}-2`, old, '08:30', 'M3', 'off'],
      ]),
    );
    const ended = await until('day ended', async () => {
      const v = await viewOf(rider, old);
      return v?.view.stage === 'nothing_due' ? v.view : null;
    });
    expect(ended.trace?.charge).toBe(500);
    expect(ended.settlement).toMatchObject({ dueMinor: 500, paidMinor: 0, owedMinor: 0, waivedMinor: 500 });
    expect(await tradeAmounts(rider, old)).toEqual([]);
  });

  it('keeps taps pending while Temporal refuses signals, and forwards them once it answers again', async () => {
    await forwarder.stop();
    let down = true;
    let refused = 0;
    // The real client behind a switch: while `down`, every signal fails as an unreachable server would.
    const flaky = {
      workflow: {
        signalWithStart: (...args: Parameters<Client['workflow']['signalWithStart']>) => {
          if (down) {
            refused += 1;
            return Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
          }
          return t.client.workflow.signalWithStart(...args);
        },
      },
    } as unknown as Client;
    forwarder = forwarderOn(db, flaky);
    const rider = await payingRider();
    const id = randomUUID().slice(0, 6);
    await post(
      taps(rider, [
        [`${id}-1`, PAST, '08:00', 'M1', 'on'],
        [`${id}-2`, PAST, '08:30', 'M3', 'off'],
      ]),
    );
    await until('signals refused on a few passes', async () => refused >= 3);
    const pending: Array<{ status: string }> = await db.query('SELECT status FROM transit_taps WHERE operator_id = $1 AND tap_id LIKE $2', [
      op.id,
      `${id}-%`,
    ]);
    expect(pending.map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(await viewOf(rider, PAST)).toBeNull();

    down = false;
    const view = await until('priced after the outage', async () => (await viewOf(rider, PAST))?.view);
    expect(view.trace?.charge).toBe(500);
  });
});
