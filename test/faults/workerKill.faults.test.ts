import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { workflowIds } from '../../domain/ids';
import type { CollectPaymentInput } from '../../workflows/payment/types';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { killed, spawnWorker, stopWorkerProcess } from '../helpers/workerProcess';
import { PartnerApi } from './helpers/api';
import { openHospital, payAtPlatform, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { settledInvariants } from './helpers/invariants';
import { allSettledOrThrow, until } from '../helpers/poll';
import { activitiesInFlight, journeyWorkflowIds, retriedActivities, type InFlight } from './helpers/temporalProbe';

/**
 * Drill 2: the worker process (dist/worker/main.js) is SIGKILLed twice while hospital visits and
 * payments run in bulk — each time while activities are executing — and a fresh process takes over.
 * The HIS answers slowly and the payment platform is slow to create orders, so kills land inside
 * HIS calls and order creation.
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let worker: (ChildProcess & { ready: Promise<void> }) | undefined;
const VISITS = 4;
const DIRECT_PAYMENTS = 3;

async function startWorkerProcess(): Promise<void> {
  worker = spawnWorker(p.services.config, { PUBLIC_BASE_URL: p.api.url });
  await worker.ready;
}

async function killWorker(): Promise<void> {
  const w = worker;
  if (!w) return;
  w.kill('SIGKILL');
  await killed(w);
  expect(w.signalCode).toBe('SIGKILL');
}

/**
 * Activities slowed down in this drill (the HIS answers after 700 ms, order creation takes 2.5 s),
 * with how recently an attempt must have started for the kill to land inside it.
 */
const SLOW: Record<string, number> = {
  hisRequestHold: 300,
  hisConfirm: 300,
  hisPostPayment: 300,
  hisArrival: 300,
  hisCancel: 300,
  createPaymentOrder: 1_500,
};

/**
 * Waits until the current worker process has just picked up one of the slow activities, then
 * SIGKILLs it. (Activities a killed process left behind still show as started until they time out:
 * only those picked up by this process's identity count; and only attempts started recently enough
 * that they are still running when the signal arrives.)
 */
async function killMidActivity(ids: () => Promise<string[]>): Promise<InFlight[]> {
  const identity = `${worker?.pid ?? '?'}@`;
  const inFlight = await until(
    'a slow activity just started',
    async () => {
      const found = (await activitiesInFlight(p.services.temporal, await ids())).filter(
        (a) => a.worker.startsWith(identity) && Date.now() - a.startedMs < (SLOW[a.activity] ?? 0),
      );
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  await killWorker();
  return inFlight;
}

beforeAll(async () => {
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: { api: 2, workers: 1 } });
  await p.worker.shutdown(); // this file's journeys run only on the spawned worker processes
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  // Every HIS answer takes a while: HIS activities are in flight most of the time.
  hospital = await openHospital(p, { doctors: VISITS, his: { behaviour: { ackDelayMs: 700 } } });
  await startWorkerProcess();
}, 60_000);
afterAll(async () => {
  // The drill is over: no need to wait for a graceful drain (the unpaid payment is still polling).
  await stopWorkerProcess(worker);
  await hospital?.stop();
  await p?.stop();
}, 60_000);

it(`injects SIGKILL of the worker process twice (during registration and during order payment) under ${VISITS} hospital visits and ${DIRECT_PAYMENTS} payments; checks every visit closes, paid payments settle and the unpaid one waits, in-flight activities were retried, and the invariants hold (one capture per payment, one slot per visit, HIS applied each message once, ledger balances, inbox applied)`, async () => {
  const users = [await verifiedUser(api, p), await verifiedUser(api, p)];
  const ctx = { api, db: p.services.db, paymentSim: p.payment.sim, hospital, stepTimeoutMs: 150_000 };
  const drivers = hospital.slots.map((slot, i) => new VisitDriver(ctx, users[i % users.length] ?? '', slot));
  // The platform takes 2.5 s to create each of the first orders: order creation is in flight when the kill comes.
  p.payment.sim.faults.inject({ kind: 'delay', ms: 2_500, times: VISITS + DIRECT_PAYMENTS, method: 'alipay.trade.precreate' });

  for (const d of drivers) await d.book();
  const direct: CollectPaymentInput[] = Array.from({ length: DIRECT_PAYMENTS }, (_, i) => {
    const ref = randomUUID().replace(/-/g, '').slice(0, 16);
    return {
      version: 1,
      outTradeNo: `WK_${ref}`,
      journeyId: `drill-worker-kill/${ref}`,
      step: 'registration',
      institutionId: hospital.id,
      userRef: `u_wk_${i}`,
      amountMinor: 1000 + i,
      currency: 'CNY',
      subject: 'Drill payment',
      deadlineMs: Date.now() + 15 * 60_000,
    };
  });
  for (const input of direct) {
    await p.services.temporal.workflow.start('collectPayment', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.payment(input.outTradeNo),
      args: [input],
    });
  }
  const ids = async (): Promise<string[]> => [
    ...new Set([...(await journeyWorkflowIds(p.services.db, [hospital.id])), ...direct.map((d) => workflowIds.payment(d.outTradeNo))]),
  ];

  const visits = allSettledOrThrow(drivers.map((d, i) => d.fullVisit(`ORD-${i + 1}`, 3000 + i * 100)));
  const payDirect = allSettledOrThrow(
    direct.slice(0, DIRECT_PAYMENTS - 1).map(async (input) => {
      const outTradeNo = await until(
        `QR code of ${input.outTradeNo}`,
        async () => {
          const rows: unknown[] = await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [
            input.outTradeNo,
          ]);
          return rows.length > 0 ? input.outTradeNo : undefined;
        },
        { timeoutMs: 150_000 },
      );
      payAtPlatform(p.payment.sim, outTradeNo);
    }),
  );

  // Kill 1: while holds, HIS calls and order creation run.
  const firstKill = await killMidActivity(ids);
  await startWorkerProcess();

  // Kill 2: once a patient has been called in, while the next activities run (order payment, HIS postings).
  await until(
    'a visit in the order phase',
    async () => {
      const stages = await Promise.all(drivers.map((d) => d.stage()));
      return stages.some((s) => s === 'called') ? true : undefined;
    },
    { timeoutMs: 180_000 },
  );
  p.payment.sim.faults.inject({ kind: 'delay', ms: 2_500, times: VISITS, method: 'alipay.trade.precreate' });
  const secondKill = await killMidActivity(ids);
  await startWorkerProcess();

  await visits;
  await payDirect;
  for (const input of direct.slice(0, DIRECT_PAYMENTS - 1)) {
    expect(await p.services.temporal.workflow.getHandle(workflowIds.payment(input.outTradeNo)).result()).toMatchObject({
      status: 'paid',
      amountMinor: input.amountMinor,
    });
  }
  for (const d of drivers) expect(await d.stage()).toBe('closed');

  // The kills landed inside activities, and those activities ran again on the new process.
  const retried = await retriedActivities(p.services.temporal, await ids());
  for (const hit of [...firstKill, ...secondKill]) {
    expect(retried).toEqual(expect.arrayContaining([expect.objectContaining({ workflowId: hit.workflowId, activity: hit.activity })]));
  }

  const report = await settledInvariants({
    db: p.services.db,
    temporal: p.services.temporal,
    paymentSim: p.payment.sim,
    institutionIds: [hospital.id],
    his: [hospital.his],
    simulatorIsScoped: true,
  });
  expect(report.violations).toEqual([]);
  expect(report.counts).toMatchObject({
    visits: VISITS,
    completedVisits: VISITS,
    payments: VISITS * 2 + DIRECT_PAYMENTS,
    paid: VISITS * 2 + DIRECT_PAYMENTS - 1,
  });
  // One order per payment at the platform, whatever was retried.
  expect(p.payment.sim.trades.all()).toHaveLength(VISITS * 2 + DIRECT_PAYMENTS);
  process.stdout.write(
    `[worker-kill drill] killed during ${JSON.stringify(firstKill)} and ${JSON.stringify(secondKill)}; retried: ${JSON.stringify(retried)}\n`,
  );
}, 290_000);
