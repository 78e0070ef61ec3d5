import type { ChildProcess } from 'node:child_process';
import { TEST_KEYS, startTestPlatform, type TestPlatform } from '../helpers/platform';
import { allSettledOrThrow, until } from '../helpers/poll';
import { killed, spawnWorker, stopWorkerProcess } from '../helpers/workerProcess';
import { ordersPlacedSignal } from '../../workflows/hospital/visit/definitions';
import { PartnerApi } from './helpers/api';
import { openHospital, payAtPlatform, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { checkMoneyNeverKept, settledInvariants } from './helpers/invariants';
import { activitiesInFlight } from './helpers/temporalProbe';

/**
 * Drill: "money is never kept" (issue 9). Visits are driven into every path where a patient could
 * pay and get neither the service nor the money back, on a real worker process:
 *  - a payment at the deadline whose PostgreSQL hold was lost to another patient (confirm: SlotTaken);
 *  - a paid close: the buyer pays in the instant before the close the patient's cancel caused;
 *  - cancel, expiry and no-show with an order still open (its QR code must stop working; money paid
 *    on a code after its order closed is refunded by the late-payment path);
 *  - an operator's cancel (workflow cancellation), and an operator's terminate made good by the sweeper;
 *  - the worker SIGKILLed while the compensation's refund is in flight.
 * Then the shared invariants hold, and every fen the payment simulator captured is tied to a delivered
 * service or refunded. Orders before arrival are signalled to the visit directly, as the HL7 dispatcher
 * does (the HIS simulator places orders only for arrived patients).
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let worker: (ChildProcess & { ready: Promise<void> }) | undefined;

async function startWorkerProcess(): Promise<void> {
  worker = spawnWorker(p.services.config, { PUBLIC_BASE_URL: p.api.url });
  await worker.ready;
}

async function operator(path: string, body: object = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEYS.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed: unknown = await res.json();
  return { status: res.status, body: parsed };
}

beforeAll(async () => {
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: { api: 2, workers: 1 } });
  await p.worker.shutdown(); // the journeys run on a spawned worker process, so it can be killed
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  hospital = await openHospital(p, { doctors: 8 });
  await startWorkerProcess();
}, 60_000);
afterAll(async () => {
  await stopWorkerProcess(worker);
  await hospital?.stop();
  await p?.stop();
}, 60_000);

it('drives visits into every path where money could be kept (lost hold, paid close, cancel/expiry/no-show with open orders, operator cancel, terminate, worker killed mid-compensation) and no fen is kept without a service', async () => {
  const db = p.services.db;
  const sim = p.payment.sim;
  const user = await verifiedUser(api, p);
  const ctx = { api, db, paymentSim: sim, hospital, stepTimeoutMs: 60_000 };
  const drivers = hospital.slots.map((slot) => new VisitDriver(ctx, user, slot));
  const driver = (i: number): VisitDriver => {
    const d = drivers[i];
    if (!d) throw new Error(`no slot ${i} in the drill hospital`);
    return d;
  };
  const [lostHold, paidClose, cancelOrder, expiryOrder, noShowOrder, operatorCancel, terminated, killedMid] = [0, 1, 2, 3, 4, 5, 6, 7].map(
    driver,
  ) as [VisitDriver, VisitDriver, VisitDriver, VisitDriver, VisitDriver, VisitDriver, VisitDriver, VisitDriver];
  const takeHold = (d: VisitDriver) =>
    db.query(`UPDATE slots SET booking_ref = $2, held_until = now() + interval '1 hour' WHERE id = $1`, [
      d.slot.slotId,
      `BX${d.slot.doctorId}`,
    ]);
  const startsIn = (d: VisitDriver, ms: number) =>
    db.query('UPDATE slots SET starts_at = $2 WHERE id = $1', [d.slot.slotId, new Date(Date.now() + ms)]);
  const placeOrder = (d: VisitDriver, orderId: string) =>
    p.services.temporal.workflow.getHandle(d.workflowId).signal(ordersPlacedSignal, {
      version: 1,
      orderId,
      currency: 'CNY',
      items: [{ code: 'CBC', text: 'Blood count', amountMinor: 1800 }],
    });

  // 1. A paid close: the patient cancels while paying; the buyer pays in the instant before the close.
  await paidClose.book();
  sim.buyer.scan(await paidClose.openPayment('registration'));
  sim.faults.inject({ kind: 'payBeforeClose', times: 1 });
  await paidClose.cancel();
  await paidClose.waitStage('cancelled');

  // 2. In parallel: the lost hold, open orders at cancel / expiry / no-show, operator cancel, terminate.
  await startsIn(expiryOrder, 12_000); // the fee is due at the slot start when that comes first
  await startsIn(noShowOrder, 20_000);
  await allSettledOrThrow([
    (async () => {
      await lostHold.book();
      await takeHold(lostHold); // the hold lapsed (a payment at the deadline, a backlogged worker); another patient took it
      await lostHold.pay('registration');
      await lostHold.waitStage('failed');
    })(),
    (async () => {
      await cancelOrder.book();
      await cancelOrder.pay('registration');
      await cancelOrder.waitStage('booked');
      await placeOrder(cancelOrder, 'PRE-1');
      const order = await cancelOrder.openPayment('order-PRE-1');
      sim.buyer.scan(order); // the code is on the patient's phone
      await cancelOrder.cancel();
      await cancelOrder.waitStage('cancelled');
      await cancelOrder.waitPayment('order-PRE-1', 'closed');
      expect(() => sim.buyer.pay(order)).toThrow(/TRADE_CLOSED/); // the QR code no longer takes money
    })(),
    (async () => {
      await expiryOrder.book();
      await placeOrder(expiryOrder, 'PRE-2');
      const order = await expiryOrder.openPayment('order-PRE-2');
      await expiryOrder.waitStage('expired');
      await expiryOrder.waitPayment('order-PRE-2', 'closed');
      payAtPlatform(sim, order); // paid on a code nobody scanned before the close: the late-payment refund
      await expiryOrder.waitPayment('order-PRE-2', 'refunded');
    })(),
    (async () => {
      await noShowOrder.book();
      await noShowOrder.pay('registration');
      await noShowOrder.waitStage('booked');
      await placeOrder(noShowOrder, 'PRE-3');
      await noShowOrder.openPayment('order-PRE-3');
      await noShowOrder.waitStage('no_show');
      await noShowOrder.waitPayment('order-PRE-3', 'closed');
    })(),
    (async () => {
      await operatorCancel.book();
      await operatorCancel.pay('registration');
      await operatorCancel.waitStage('booked');
      expect((await operator(`/v1/operator/visits/${operatorCancel.bookingRef}/cancel`)).status).toBe(200);
      await operatorCancel.waitStage('cancelled');
      await operatorCancel.waitPayment('registration', 'refunded');
    })(),
    (async () => {
      await terminated.book();
      await terminated.pay('registration');
      await terminated.waitStage('booked');
      await p.services.temporal.workflow.getHandle(terminated.workflowId).terminate('drill: operator accepts the consequence');
      // Only this drill's hospital: the run's other files terminate visits too (paid at their own simulators).
      const swept = await operator('/v1/operator/sweeps/abandoned-visits/run', { staleSeconds: 0, institutionId: hospital.id });
      expect(swept).toMatchObject({ status: 200, body: { visits: 1, refundedMinor: hospital.feeMinor } });
      await terminated.waitPayment('registration', 'refunded');
    })(),
  ]);

  // 3. The worker dies while the compensation's refund is at the platform; a new one finishes the undo.
  sim.faults.inject({ kind: 'delay', ms: 3_000, times: 1, method: 'alipay.trade.refund' });
  await killedMid.book();
  await takeHold(killedMid);
  await killedMid.pay('registration');
  const identity = `${worker?.pid ?? '?'}@`;
  const inFlight = await until(
    'the compensation refund in flight',
    async () => {
      const found = (await activitiesInFlight(p.services.temporal, [killedMid.workflowId])).filter(
        (a) => a.activity === 'refundPayment' && a.worker.startsWith(identity),
      );
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  worker?.kill('SIGKILL');
  if (worker) await killed(worker);
  await startWorkerProcess();
  await killedMid.waitStage('failed');
  await killedMid.waitPayment('registration', 'refunded');
  expect(inFlight[0]?.workflowId).toBe(killedMid.workflowId);

  // The invariants: every journey ended in a named stage (or was swept), slots and ledger agree, and no money is kept for nothing.
  const report = await settledInvariants(
    {
      db,
      temporal: p.services.temporal,
      paymentSim: sim,
      institutionIds: [hospital.id],
      his: [hospital.his],
      simulatorIsScoped: true,
      terminatedSweptAllowed: true,
    },
    30_000,
  );
  expect(report.violations).toEqual([]);
  expect(await checkMoneyNeverKept({ db, temporal: p.services.temporal, paymentSim: sim })).toEqual([]);
  const stages: Array<{ booking_ref: string; stage: string }> = await db.query(
    'SELECT booking_ref, stage FROM visits WHERE institution_id = $1',
    [hospital.id],
  );
  const stageOf = (d: VisitDriver) => stages.find((s) => s.booking_ref === d.bookingRef)?.stage;
  expect([lostHold, paidClose, cancelOrder, expiryOrder, noShowOrder, operatorCancel, terminated, killedMid].map(stageOf)).toEqual([
    'failed',
    'cancelled',
    'cancelled',
    'expired',
    'no_show',
    'cancelled',
    'failed',
    'failed',
  ]);
  // Money did move in these paths, and went back: the drill is not vacuous.
  expect(report.counts.refunded).toBeGreaterThanOrEqual(6);
}, 180_000);
