import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { ensureOperatorKeys, operatorRootPublicKey } from '../../db/repositories/transitIssuerKeys';
import { addDays } from '../../domain/hospital/serviceDay';
import { workflowIds } from '../../domain/ids';
import { publicKeyFromRaw } from '../../domain/transit/rideCode';
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
  type TestRider,
} from '../helpers/transitFactories';
import { killed, spawnWorker, stopWorkerProcess } from '../helpers/workerProcess';
import { activitiesInFlight } from './helpers/temporalProbe';
import { transitViolations } from './helpers/transitInvariants';

/**
 * Drill: settling rider-days under faults (issue 11, item 9), on a worker process that can be killed:
 *  - the worker SIGKILLed while day charges are at the payment platform;
 *  - the payment platform failing (5xx, busy) at settlement for a while;
 *  - the gates' deny list unreachable while a rider goes into debt and pays;
 *  - the AFC sending every tap twice and in reverse order.
 * Then: one charge per rider-day revision, PostgreSQL, the ledger and the platform agree, and the deny
 * list names exactly the riders with an open debt.
 */
let p: TestPlatform;
let op: TestOperator;
let worker: (ChildProcess & { ready: Promise<void> }) | undefined;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);
const PAST = addDays(TODAY, -1);

async function startWorkerProcess(): Promise<void> {
  worker = spawnWorker(p.services.config, { PUBLIC_BASE_URL: p.api.url });
  await worker.ready;
}

beforeAll(async () => {
  const id = testOperatorId();
  p = await startTestPlatform({
    env: {
      TRANSIT_FORWARD_OPERATORS: id,
      TRANSIT_FORWARD_INTERVAL_MS: '200',
      TRANSIT_SETTLEMENT_DELAY_SECONDS: '0',
      TRANSIT_CHARGE_RETRY_SECONDS: '1',
    },
  });
  await p.worker.shutdown(); // rider-days run on a spawned worker process, so it can be killed
  op = await createTestTransitOperator(p.services.db, (s) => p.services.pii.encrypt(s), { id });
  await ensureOperatorKeys(p.services.db, p.services.pii, op.id);
  await storeMetrovilleFeed(p.services.db, op.id, addDays(TODAY, -10));
  await startWorkerProcess();
}, 60_000);
afterAll(async () => {
  await stopWorkerProcess(worker);
  await p?.stop();
}, 60_000);

async function payingRiders(n: number, buyer?: (i: number) => string): Promise<TestRider[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
      await signTestAgreement(
        p.services.db,
        p.payment.provider,
        `${p.api.url}/v1/payments/agreement-notifications`,
        rider.riderId,
        buyer?.(i),
      );
      return rider;
    }),
  );
}

/** Each rider rides M1 → M3 (5.00) on `day`. */
async function ride(riders: TestRider[], day: string): Promise<void> {
  for (const r of riders) {
    await uploadTaps(p.api.url, op, r.pseudonym, day, [
      [`${r.riderRef}-${day}-on`, '08:00', 'M1', 'on'],
      [`${r.riderRef}-${day}-off`, '08:30', 'M3', 'off'],
    ]);
  }
}

async function stages(riders: TestRider[], day: string): Promise<string[]> {
  const rows: Array<{ stage: string }> = await p.services.db.query(
    `SELECT stage FROM rider_day_views WHERE operator_id = $1 AND service_day = $2 AND rider_ref = ANY($3) ORDER BY rider_ref`,
    [op.id, day, riders.map((r) => r.riderRef)],
  );
  return rows.map((r) => r.stage);
}

const settled = (riders: TestRider[], day: string) => async () => {
  const s = await stages(riders, day);
  return s.length === riders.length && s.every((x) => x === 'settled');
};

it('charges every day once when the worker is SIGKILLed while the charges are at the platform', async () => {
  const riders = await payingRiders(8);
  const day = addDays(TODAY, -2);
  // Each charge takes 3 s at the platform: the kill lands while they are in flight.
  p.payment.sim.faults.inject({ kind: 'delay', ms: 3_000, times: 8, method: 'alipay.trade.pay' });
  await ride(riders, day);
  const ids = riders.map((r) => workflowIds.transitDay(op.id, r.riderRef, day));
  await until(
    'a charge in flight',
    async () => (await activitiesInFlight(p.services.temporal, ids)).some((a) => a.activity === 'settleRiderDay'),
    {
      intervalMs: 50,
    },
  );
  worker!.kill('SIGKILL');
  await killed(worker!);
  await startWorkerProcess();
  await until('every day settled', settled(riders, day), { timeoutMs: 120_000 });
  const paid: Array<{ n: number; s: string }> = await p.services.db.query(
    `SELECT count(*)::int AS n, sum(amount_minor) AS s FROM transit_day_trades WHERE operator_id = $1 AND service_day = $2 AND status = 'paid'`,
    [op.id, day],
  );
  expect(paid).toEqual([{ n: 8, s: '4000' }]);
  expect(await transitViolations(p.services.db, p.payment.provider, op.id)).toEqual([]);
}, 180_000);

it('waits out the payment platform failing at settlement, and opens no debt for an outage', async () => {
  const riders = await payingRiders(4);
  const day = addDays(TODAY, -3);
  p.payment.sim.faults.inject({ kind: 'http5xx', status: 503, times: 6, method: 'alipay.trade.pay' });
  p.payment.sim.faults.inject({ kind: 'systemError', times: 6, method: 'alipay.trade.query' });
  await ride(riders, day);
  await until('every day settled', settled(riders, day), { timeoutMs: 120_000 });
  const debts: unknown[] = await p.services.db.query(`SELECT 1 FROM transit_debts WHERE operator_id = $1 AND service_day = $2`, [
    op.id,
    day,
  ]);
  expect(debts).toEqual([]);
  expect(await transitViolations(p.services.db, p.payment.provider, op.id)).toEqual([]);
}, 180_000);

it('keeps a gate deciding with its list while the deny list is unreachable, and catches up in one delta', async () => {
  const buyerId = `2088${randomInt(1e11, 1e12)}`;
  const [rider] = await payingRiders(1, () => buyerId);
  const operator = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: op.id, secret: op.secret });
  const rootPublicKey = publicKeyFromRaw(Buffer.from((await operatorRootPublicKey(p.services.db, op.id)) ?? '', 'base64url'));
  const gate = new GateSimulator({ operatorId: op.id, deviceId: 'drill-gate', stopId: 'M1', tapType: 'on', rootPublicKey });
  let reachable = true;
  let failedPolls = 0;
  const poll = async (): Promise<void> => {
    if (!reachable) {
      failedPolls += 1; // the gate's request never gets an answer: it keeps the list it has
      return;
    }
    const r = await operator.get<{ delta: string | null }>(`/v1/institutions/${op.id}/transit/deny-list?since=${gate.versions.denyList}`);
    expect(r.status).toBe(200);
    if (r.body.delta) expect(gate.applyDenyList(r.body.delta).ok).toBe(true);
  };
  await poll();
  const before = gate.versions.denyList;

  reachable = false;
  p.payment.sim.faults.inject({ kind: 'insufficientBalance', buyerId, times: 2 });
  await ride([rider!], PAST);
  await until('in debt', async () => (await stages([rider!], PAST))[0] === 'in_debt');
  await poll();
  expect(gate.versions.denyList).toBe(before); // nothing learned while unreachable

  reachable = true;
  await poll();
  expect(gate.versions.denyList).toBeGreaterThan(before);
  expect(gate.isDenied(rider!.pseudonym)).toBe(true);
  expect(await transitViolations(p.services.db, p.payment.provider, op.id)).toEqual([]);

  // Paid by QR code: the next reachable poll lets the rider through again.
  await p.services.temporal.workflow.getHandle(workflowIds.transitDay(op.id, rider!.riderRef, PAST)).signal('payRiderDebt', { version: 1 });
  const order = await until('QR order', async () => {
    const rows: Array<{ out_trade_no: string; qr_code: string | null }> = await p.services.db.query(
      'SELECT out_trade_no, qr_code FROM payments WHERE journey_id = $1',
      [workflowIds.transitDay(op.id, rider!.riderRef, PAST)],
    );
    return rows[0]?.qr_code ? rows[0].out_trade_no : undefined;
  });
  p.payment.sim.buyer.pay(order);
  await until('settled', async () => (await stages([rider!], PAST))[0] === 'settled');
  await poll();
  expect(gate.isDenied(rider!.pseudonym)).toBe(false);
  expect(failedPolls).toBe(1);
  expect(await transitViolations(p.services.db, p.payment.provider, op.id)).toEqual([]);
}, 120_000);

it('charges each day once when the AFC sends every tap twice, in reverse order, in two uploads', async () => {
  const riders = await payingRiders(4);
  const day = addDays(TODAY, -1);
  for (let upload = 0; upload < 2; upload++) {
    for (const r of riders) {
      await uploadTaps(p.api.url, op, r.pseudonym, day, [
        [`${r.riderRef}-dup-off`, '11:30', 'M3', 'off'],
        [`${r.riderRef}-dup-on`, '11:00', 'M1', 'on'],
        [`${r.riderRef}-dup-off`, '11:30', 'M3', 'off'],
        [`${r.riderRef}-dup-on`, '11:00', 'M1', 'on'],
      ]);
    }
  }
  await until('every day settled', settled(riders, day), { timeoutMs: 60_000 });
  const paid: Array<{ n: number; s: string }> = await p.services.db.query(
    `SELECT count(*)::int AS n, sum(amount_minor) AS s FROM transit_day_trades
      WHERE operator_id = $1 AND service_day = $2 AND status = 'paid' AND rider_ref = ANY($3)`,
    [op.id, day, riders.map((r) => r.riderRef)],
  );
  expect(paid).toEqual([{ n: 4, s: '2000' }]);
  expect(await transitViolations(p.services.db, p.payment.provider, op.id)).toEqual([]);
}, 120_000);
