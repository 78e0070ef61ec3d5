import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { insertVerifiedUsers } from '../../bench/lib/seed';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { pointsBalance } from '../../db/repositories/pointsLedger';
import { refundRequestNoFor, retailOutTradeNo, workflowIds } from '../../domain/ids';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';
import { killed, spawnWorker, stopWorkerProcess } from '../helpers/workerProcess';
import { retailViolations, settledRetailViolations } from './helpers/retailInvariants';
import { activitiesInFlight, pendingActivity, retriedActivities } from './helpers/temporalProbe';

/**
 * Drills for the retail order journey (issue 12, item 9), through the real till API, the real journey
 * on a worker process that can be killed, and the payment simulator behind the real SDK:
 *  1. USERPAYING, the journey gives up, and the buyer confirms anyway (during the cancel, or while the
 *     cancel is failing): the money goes back, the coupon too, no points;
 *  2. the till retrying a sale and a refund, at once and one after another: paid once, refunded once;
 *  3. concurrent partial refunds of one order, disjoint and overlapping: each unit once, never above paid;
 *  4. the worker SIGKILLed while a refund is at the platform: after a new worker starts, refunded once;
 *  5. the platform down at refund (an answer lost after the refund was made, then 503s): the refund waits,
 *     completes once when the platform is back, and the order closes.
 * After every drill the invariants of retailInvariants.ts hold over every order of the file; the last
 * test shows that check fails on corrupted rows.
 */
let p: TestPlatform;
let worker: (ChildProcess & { ready: Promise<void> }) | undefined;
let shoppers: string[];
const merchants: string[] = [];

async function startWorkerProcess(): Promise<void> {
  worker = spawnWorker(p.services.config, { PUBLIC_BASE_URL: p.api.url });
  await worker.ready;
}

beforeAll(async () => {
  // The platform's answer is awaited 4 s: drill 5's lost answer is given up on after it, drill 4's slow refund is not.
  p = await startTestPlatform({ env: { PAYMENT_TIMEOUT_MS: '4000' } });
  await p.worker.shutdown(); // the journeys run on a spawned worker process, so it can be killed
  shoppers = await insertVerifiedUsers(p.services.db, p.services.pii, p.partner.id, 5, `rd${Date.now().toString(36)}`);
  await startWorkerProcess();
}, 60_000);
afterAll(async () => {
  await stopWorkerProcess(worker);
  await p?.stop();
}, 60_000);

const invariants = () =>
  settledRetailViolations({ db: p.services.db, sim: p.payment.sim, merchantIds: merchants, simulatorIsScoped: true });

interface Order {
  stage: string;
  reason: string | null;
  paid: number;
  refunded: number;
  tradeStatus: string;
  units: Array<{ unitId: string; paid: number; shares: Record<string, number> }>;
  discounts: Array<{ couponId: string; applied: number }>;
  pointsPending: number;
  refunds: Refund[];
}
interface Refund {
  refundNo: string;
  unitIds: string[];
  refund: number;
  unitsPaid: number;
  clawedBack: number;
  clawBackReturned: number;
  couponsReturned: string[];
  pointsReversed: number;
}

/** A merchant with its till (signed HTTP) and a coupon campaign of its own. */
class Shop {
  private constructor(
    readonly id: string,
    readonly till: InstitutionHttpClient,
    readonly campaignId: string,
  ) {}

  static async open(retail: Record<string, unknown>): Promise<Shop> {
    const secret = `till-${randomUUID()}`;
    const id = await createTestMerchant(p.services.db, p.services.pii, {
      secret,
      settings: { retail: { pointsPerMajor: 1, userPayingPollSeconds: [1, 1], ...retail } },
    });
    merchants.push(id);
    const till = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: id, secret, timeoutMs: 30_000 });
    const campaign = await till.post<{ campaignId: string }>(`/v1/merchants/${id}/campaigns`, {
      name: 'Drill coupon',
      kind: 'fixed',
      value: 500,
      minSpend: 2_000,
      belowMinimum: 'claw_back',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
      budget: { money: 5_000, count: 10, perUser: 5 },
    });
    expect(campaign.status).toBe(201);
    return new Shop(id, till, campaign.body.campaignId);
  }

  /** The shopper claims a coupon of this shop's campaign through their partner app. */
  async coupon(shopper: string): Promise<string> {
    const res = await asShopper<{ couponId: string }>(shopper, 'POST', `/v1/retail/campaigns/${this.campaignId}/claims`, {
      requestNo: randomUUID(),
    });
    expect(res.status).toBe(201);
    return res.body.couponId;
  }

  sell(body: Record<string, unknown>) {
    return this.till.post<Order>(`/v1/merchants/${this.id}/orders`, body);
  }

  async order(ref: string): Promise<Order> {
    const res = await this.till.get<Order>(`/v1/merchants/${this.id}/orders/${ref}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  waitStage(ref: string, stage: string, timeoutMs = 30_000): Promise<Order> {
    return until(
      `${ref} ${stage}`,
      async () => {
        const o = await this.order(ref);
        return o.stage === stage ? o : undefined;
      },
      { timeoutMs },
    );
  }

  refund(ref: string, refundNo: string, unitIds: string[]) {
    return this.till.post<Refund>(`/v1/merchants/${this.id}/orders/${ref}/refunds`, { refundNo, unitIds });
  }

  /** A till that repeats the same refund (same number) while it gets no answer or a 5xx; counts the repeats. */
  async refundRetrying(
    ref: string,
    refundNo: string,
    unitIds: string[],
    deadlineMs = 120_000,
  ): Promise<{ refund: Refund; repeats: number }> {
    const end = Date.now() + deadlineMs;
    for (let repeats = 0; ; repeats++) {
      try {
        const res = await this.refund(ref, refundNo, unitIds);
        if (res.status === 200) return { refund: res.body, repeats };
        if (res.status < 500) throw new Error(`refund ${refundNo} refused: ${res.status} ${JSON.stringify(res.body)}`);
      } catch (err) {
        // fetch's abort is a DOMException from Node's realm, not this sandbox's Error: compare names.
        const name = (err as { name?: unknown } | null)?.name;
        if ((name !== 'TimeoutError' && name !== 'AbortError') || Date.now() > end) throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  workflowId(ref: string): string {
    return workflowIds.retailOrder(this.id, ref);
  }

  outTradeNo(ref: string): string {
    return retailOutTradeNo(this.id, ref);
  }
}

async function asShopper<T>(shopper: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': shopper, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function couponStatus(shopper: string, couponId: string): Promise<string | undefined> {
  const wallet = await asShopper<{ coupons: Array<{ couponId: string; status: string }> }>(shopper, 'GET', '/v1/users/me/coupons');
  return wallet.body.coupons.find((c) => c.couponId === couponId)?.status;
}

async function campaignUse(campaignId: string): Promise<{ reserved: number; committed: number }> {
  const [row]: Array<{ reserved_minor: string; committed_minor: string }> = await p.services.db.query(
    'SELECT reserved_minor, committed_minor FROM retail_campaigns WHERE id = $1',
    [campaignId],
  );
  return { reserved: Number(row?.reserved_minor), committed: Number(row?.committed_minor) };
}

/** 2,600 before the coupon: two noodles (food) and a tea (drink). */
const LINES = [
  { lineId: 'A', sku: 'noodles', category: 'food', quantity: 2, unitPrice: 1_000 },
  { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
];

it('USERPAYING, then the journey gives up and the buyer confirms anyway (in the instant of the cancel, or while the cancel is failing): the money is refunded in full, the coupon released, no points; a confirmation after the cancel is refused', async () => {
  const shop = await Shop.open({ refundWindowSeconds: 5 });
  const shopper = shoppers[0]!;
  const sim = p.payment.sim;

  // During the cancel: the buyer confirms in the instant the cancel reaches the platform.
  const first = await shop.coupon(shopper);
  sim.faults.inject({ kind: 'payBeforeCancel', times: 1 });
  const during = await shop.sell({
    orderRef: 'U1',
    memberId: shopper,
    lines: LINES,
    couponIds: [first],
    authCode: SIM_AUTH_CODES.waitForBuyer,
  });
  expect(during.status).toBe(202);
  expect(during.body).toMatchObject({ stage: 'paying', tradeStatus: 'user_paying' });
  expect(await shop.waitStage('U1', 'payment_failed')).toMatchObject({
    reason: 'paid_during_cancel_refunded',
    tradeStatus: 'cancelled',
    paid: 0,
  });

  // After it gave up: the cancel fails twice at the platform (503), and the buyer confirms in between.
  const second = await shop.coupon(shopper);
  sim.faults.inject({ kind: 'http5xx', status: 503, times: 2, method: 'alipay.trade.cancel' });
  expect(
    (await shop.sell({ orderRef: 'U2', memberId: shopper, lines: LINES, couponIds: [second], authCode: SIM_AUTH_CODES.waitForBuyer }))
      .status,
  ).toBe(202);
  await until(
    'the cancel failing',
    async () => (await pendingActivity(p.services.temporal, shop.workflowId('U2'), 'cancelTrade'))?.lastFailure,
    {
      intervalMs: 50,
    },
  );
  expect(sim.buyer.pay(shop.outTradeNo('U2')).state).toBe('TRADE_SUCCESS'); // the shopper's phone says paid
  expect(await shop.waitStage('U2', 'payment_failed')).toMatchObject({
    reason: 'paid_during_cancel_refunded',
    tradeStatus: 'cancelled',
    paid: 0,
  });

  for (const [ref, couponId] of [
    ['U1', first],
    ['U2', second],
  ] as const) {
    const trade = sim.trades.get(shop.outTradeNo(ref))!;
    expect(trade).toMatchObject({ state: 'TRADE_CLOSED', cancelled: 'refund', totalMinor: 2_100 });
    expect(trade.paidAt).toBeDefined();
    expect(trade.refunds.map((r) => r.amountMinor)).toEqual([2_100]);
    // The shopper confirms once more on a stale screen: the platform refuses, nothing is taken.
    expect(() => sim.buyer.pay(shop.outTradeNo(ref))).toThrow(/TRADE_CLOSED/);
    expect(await couponStatus(shopper, couponId)).toBe('available');
  }
  expect(await campaignUse(shop.campaignId)).toEqual({ reserved: 0, committed: 0 });
  expect(await pointsBalance(p.services.db, shop.id, shopper)).toEqual({ pending: 0, available: 0 });
  const moved: unknown[] = await p.services.db.query('SELECT 1 FROM points_ledger WHERE program_id = $1', [shop.id]);
  expect(moved).toEqual([]);
  expect(await invariants()).toEqual([]);
}, 60_000);

it('the till retrying a sale (8 at once while the payment is slow, then 3 in a row) and a refund (8 at once, 2 in a row, once more after the window closed): paid once, refunded once', async () => {
  const shop = await Shop.open({ refundWindowSeconds: 8 });
  const shopper = shoppers[1]!;
  const sim = p.payment.sim;
  const couponId = await shop.coupon(shopper);
  const sale = { orderRef: 'P1', memberId: shopper, lines: LINES, couponIds: [couponId], authCode: SIM_AUTH_CODES.success };
  // The platform takes 1.5 s over the first charge: the retries arrive while it is in flight.
  sim.faults.inject({ kind: 'delay', ms: 1_500, times: 1, method: 'alipay.trade.pay' });
  const burst = await Promise.all(Array.from({ length: 8 }, () => shop.sell(sale)));
  expect(burst.map((r) => r.status).every((s) => s === 201 || s === 202)).toBe(true);
  const again = [];
  for (let i = 0; i < 3; i++) again.push(await shop.sell(sale));
  for (const r of [...burst, ...again].filter((r) => r.status === 201)) expect(r.body).toMatchObject({ stage: 'paid', paid: 2_100 });
  expect(again.map((r) => r.status)).toEqual([201, 201, 201]);
  const trade = sim.trades.get(shop.outTradeNo('P1'))!;
  expect(trade).toMatchObject({ state: 'TRADE_SUCCESS', totalMinor: 2_100, refunds: [] });
  expect(sim.trades.all().filter((t) => t.outTradeNo === shop.outTradeNo('P1'))).toHaveLength(1);

  // The tea back, the same refund number sent 8 times at once, then twice more.
  const refunds = await Promise.all(Array.from({ length: 8 }, () => shop.refund('P1', 'R1', ['B#001'])));
  expect(refunds.map((r) => r.status)).toEqual(Array(8).fill(200));
  const first = refunds[0]!.body;
  expect(first).toMatchObject({ refundNo: 'R1', unitIds: ['B#001'], refund: 484, pointsReversed: 4 });
  for (const r of refunds) expect(r.body).toEqual(first);
  for (let i = 0; i < 2; i++) expect((await shop.refund('P1', 'R1', ['B#001'])).body).toEqual(first);
  expect((await shop.refund('P1', 'R1', ['A#001'])).status).toBe(422); // the same number for other units
  expect(trade.refunds.map((r) => [r.outRequestNo, r.amountMinor])).toEqual([[refundRequestNoFor(trade.outTradeNo, 'R1'), 484]]);
  expect((await shop.order('P1')).refunds).toHaveLength(1);

  // The window closes; a till that never got its answer repeats the refund: the same answer, nothing moves.
  await shop.waitStage('P1', 'closed');
  const late = await shop.refund('P1', 'R1', ['B#001']);
  expect(late).toEqual({ status: 200, body: first });
  expect((await shop.refund('P1', 'R1', ['A#001'])).status).toBe(422);
  expect((await shop.refund('P1', 'R2', ['A#001'])).status).toBe(409);
  expect(trade.refunds).toHaveLength(1);
  expect(await pointsBalance(p.services.db, shop.id, shopper)).toEqual({ pending: 0, available: 8 + 8 });
  expect(await campaignUse(shop.campaignId)).toEqual({ reserved: 0, committed: 500 - 116 });
  expect(await invariants()).toEqual([]);
}, 60_000);

it('concurrent partial refunds of one order, disjoint and overlapping, until every unit is back: each unit refunded once, never more than paid, the coupon returned with the last', async () => {
  const shop = await Shop.open({ refundWindowSeconds: 120 });
  const shopper = shoppers[2]!;
  const sim = p.payment.sim;
  const couponId = await shop.coupon(shopper);
  const sale = await shop.sell({
    orderRef: 'C1',
    memberId: shopper,
    lines: [
      { lineId: 'A', sku: 'rice', category: 'food', quantity: 3, unitPrice: 1_000 },
      { lineId: 'B', sku: 'juice', category: 'drink', quantity: 2, unitPrice: 600 },
      { lineId: 'C', sku: 'bowl', category: 'home', quantity: 1, unitPrice: 450 },
    ],
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid', paid: 4_650 - 500 });
  const paid = sale.body.paid;
  const allUnits = sale.body.units.map((u) => u.unitId);
  const trade = sim.trades.get(shop.outTradeNo('C1'))!;

  const fire = (requests: Array<[string, string[]]>) => Promise.all(requests.map(([no, units]) => shop.refund('C1', no, units)));
  const check = async (answers: Array<{ status: number; body: Refund }>): Promise<void> => {
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const order = await shop.order('C1');
    const units = order.refunds.flatMap((r) => r.unitIds);
    expect(new Set(units).size).toBe(units.length);
    expect(order.refunded).toBe(order.refunds.reduce((s, r) => s + r.refund, 0));
    expect(order.refunded).toBeLessThanOrEqual(paid);
    expect(trade.refunds.reduce((s, r) => s + r.amountMinor, 0)).toBe(order.refunded);
    for (const a of answers.filter((x) => x.status === 200)) expect(order.refunds).toContainEqual(expect.objectContaining(a.body));
  };

  // Round 1: three disjoint refunds and three that overlap them, all at once.
  const round1 = await fire([
    ['D1', ['A#001']],
    ['D2', ['B#001']],
    ['D3', ['C#001']],
    ['O1', ['A#001', 'A#002']],
    ['O2', ['B#001', 'B#002']],
    ['O3', ['A#002', 'C#001']],
  ]);
  await check(round1);
  expect(round1.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(3);
  expect(round1.filter((a) => a.status === 409).length).toBeGreaterThanOrEqual(1);

  // Round 2: what is left, one unit at a time and all together, at once; then a sweep of anything still kept.
  const refundedAfter1 = new Set((await shop.order('C1')).refunds.flatMap((r) => r.unitIds));
  const left = allUnits.filter((u) => !refundedAfter1.has(u));
  expect(left.length).toBeGreaterThan(0);
  await check(await fire([...left.map((u, i): [string, string[]] => [`E${i}`, [u]]), ['EALL', left]]));
  const done = new Set((await shop.order('C1')).refunds.flatMap((r) => r.unitIds));
  for (const u of allUnits.filter((x) => !done.has(x))) expect((await shop.refund('C1', `S${u.replace('#', '')}`, [u])).status).toBe(200);

  const order = await shop.order('C1');
  expect(order.refunds.flatMap((r) => r.unitIds).sort()).toEqual([...allUnits].sort());
  // A claw-back taken on the way came back with the units it was charged to: all of it, exactly.
  const clawed = order.refunds.reduce((s, r) => s + r.clawedBack, 0);
  expect(order.refunds.reduce((s, r) => s + r.clawBackReturned, 0)).toBe(clawed);
  expect(order.refunded).toBe(paid);
  expect(order.pointsPending).toBe(0);
  expect(order.refunds.flatMap((r) => r.couponsReturned)).toEqual([couponId]);
  expect(await couponStatus(shopper, couponId)).toBe('available');
  expect(await campaignUse(shop.campaignId)).toEqual({ reserved: 0, committed: 0 });
  expect(await pointsBalance(p.services.db, shop.id, shopper)).toEqual({ pending: 0, available: 0 });
  expect(await invariants()).toEqual([]);
}, 60_000);

it('the worker process SIGKILLed while a refund is at the platform: a new worker finishes it, refunded exactly once', async () => {
  const shop = await Shop.open({ refundWindowSeconds: 120 });
  const shopper = shoppers[3]!;
  const sim = p.payment.sim;
  const couponId = await shop.coupon(shopper);
  const sale = await shop.sell({
    orderRef: 'K1',
    memberId: shopper,
    lines: LINES,
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid', paid: 2_100 });

  // The platform takes 3 s over the refund (and makes it): the kill lands while the call is out.
  sim.faults.inject({ kind: 'delay', ms: 3_000, times: 1, method: 'alipay.trade.refund' });
  const answer = shop.refundRetrying('K1', 'R1', ['B#001']);
  answer.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const identity = `${worker?.pid ?? '?'}@`;
  const hit = await until(
    'the refund at the platform',
    async () =>
      (await activitiesInFlight(p.services.temporal, [shop.workflowId('K1')])).find(
        (a) => a.activity === 'refundTrade' && a.worker.startsWith(identity),
      ),
    { intervalMs: 50, timeoutMs: 30_000 },
  );
  const killedWorker = worker!;
  killedWorker.kill('SIGKILL');
  await killed(killedWorker);
  expect(killedWorker.signalCode).toBe('SIGKILL');
  await startWorkerProcess();

  const { refund } = await answer;
  expect(refund).toMatchObject({ refundNo: 'R1', unitIds: ['B#001'], refund: 484, pointsReversed: 4 });
  expect(await retriedActivities(p.services.temporal, [shop.workflowId('K1')])).toContainEqual(
    expect.objectContaining({ activity: hit.activity }),
  );
  const trade = sim.trades.get(shop.outTradeNo('K1'))!;
  expect(trade.refunds.map((r) => [r.outRequestNo, r.amountMinor])).toEqual([[refundRequestNoFor(trade.outTradeNo, 'R1'), 484]]);
  expect(await shop.order('K1')).toMatchObject({ stage: 'paid', refunded: 484, refunds: [expect.objectContaining({ refundNo: 'R1' })] });
  expect(await invariants()).toEqual([]);
}, 120_000);

it('the payment platform down at refund (an answer lost after the refund was made, then 503s): the refunds wait, complete once when it is back, and the order closes after them', async () => {
  const shop = await Shop.open({ refundWindowSeconds: 4 });
  const shopper = shoppers[4]!;
  const sim = p.payment.sim;
  const couponId = await shop.coupon(shopper);
  // 3,600 less the coupon (minimum spend 2,000): after R1 (a rice) 2,600 is kept; after R2 (the tea) and R3
  // (a rice), in either order, one rice is left. R2 first keeps 2,000 (no claw-back) and R3 claws back the
  // last rice's share; R3 first keeps 1,600 and claws back the shares of the rice and the tea, and R2 then
  // returns the tea's with the tea. Either way the shopper ends up without the last rice's share.
  const sale = await shop.sell({
    orderRef: 'F1',
    memberId: shopper,
    lines: [
      { lineId: 'A', sku: 'rice', category: 'food', quantity: 3, unitPrice: 1_000 },
      { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
    ],
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid', paid: 3_100 });
  const paidOf = (unitId: string) => sale.body.units.find((u) => u.unitId === unitId)!.paid;

  // The first refund is made, but its answer is lost (the client gives up after 4 s); then the platform answers 503.
  sim.faults.inject({ kind: 'lostAnswer', times: 1, method: 'alipay.trade.refund' });
  sim.faults.inject({ kind: 'http5xx', status: 503, times: 10_000, method: 'alipay.trade.refund' });
  // R1 first; R2 and R3 queue behind it, and the window (4 s) ends while they wait: they were asked in it.
  const first = shop.refundRetrying('F1', 'R1', ['A#001']);
  const queued = (async () => {
    await until(
      'R1 at the platform',
      async () => (await activitiesInFlight(p.services.temporal, [shop.workflowId('F1')])).some((a) => a.activity === 'refundTrade'),
      { intervalMs: 50 },
    );
    return Promise.all([shop.refundRetrying('F1', 'R2', ['B#001']), shop.refundRetrying('F1', 'R3', ['A#002'])]);
  })();
  // Awaited below; a failure must not go unhandled meanwhile.
  first.catch(() => undefined);
  queued.catch(() => undefined);
  // Two attempts failed (the lost answer, then a 503); the failures' messages are encrypted in Temporal.
  await until(
    'the refund retried through the outage',
    async () => {
      const a = await pendingActivity(p.services.temporal, shop.workflowId('F1'), 'refundTrade');
      return a && a.attempt >= 3 && a.lastFailure !== undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  // The platform made the first refund; Causeway does not know yet, and the window's end waits for it.
  const trade = sim.trades.get(shop.outTradeNo('F1'))!;
  const firstNo = refundRequestNoFor(trade.outTradeNo, 'R1');
  expect(trade.refunds.map((r) => [r.outRequestNo, r.amountMinor])).toEqual([[firstNo, paidOf('A#001')]]);
  expect(await shop.order('F1')).toMatchObject({ stage: 'paid', refunded: 0, refunds: [] });

  // The platform is back.
  while (sim.faults.takeGatewayFault('alipay.trade.refund')) {
    // drained
  }
  const r1 = await first;
  const [r2, r3] = await queued;
  expect(r1.refund).toMatchObject({ refund: paidOf('A#001'), clawedBack: 0 });
  // Whichever order R2 and R3 ran in, one rice (1,000) is left, below the coupon's minimum: its share is kept back.
  const share = sale.body.units.find((u) => u.unitId === 'A#003')!.shares[couponId]!;
  const teaShare = sale.body.units.find((u) => u.unitId === 'B#001')!.shares[couponId]!;
  expect(r2.refund.clawedBack).toBe(0);
  expect([share, share + teaShare]).toContain(r3.refund.clawedBack);
  expect(r2.refund.clawBackReturned).toBe(r3.refund.clawedBack - share); // the tea's share comes back with the tea
  expect(r2.refund.clawedBack + r3.refund.clawedBack - r2.refund.clawBackReturned - r3.refund.clawBackReturned).toBe(share);
  const closed = await shop.waitStage('F1', 'closed');
  expect(closed.refunded).toBe(paidOf('A#001') + paidOf('B#001') + paidOf('A#002') - share);
  expect(closed.refunds.map((r) => r.refundNo)).toEqual(['R1', expect.any(String), expect.any(String)]);
  const platform = new Map(trade.refunds.map((r) => [r.outRequestNo, r.amountMinor]));
  expect(trade.refunds).toHaveLength(3);
  for (const r of [r1, r2, r3]) expect(platform.get(refundRequestNoFor(trade.outTradeNo, r.refund.refundNo))).toBe(r.refund.refund);
  const kept = Math.floor(paidOf('A#003') / 100);
  expect(closed.pointsPending).toBe(kept);
  expect(await pointsBalance(p.services.db, shop.id, shopper)).toEqual({ pending: 0, available: kept });
  expect(await invariants()).toEqual([]);
}, 90_000);

it('(control) the invariant check sees a corrupted order, campaign, points ledger and platform ledger, and passes once they are restored', async () => {
  const [order]: Array<{ merchant_id: string; order_ref: string; view: { outTradeNo: string; paidMinor: number; refundedMinor: number } }> =
    await p.services.db.query(
      `SELECT merchant_id, order_ref, view FROM retail_order_views WHERE merchant_id = ANY($1) AND stage = 'closed' AND user_id IS NOT NULL LIMIT 1`,
      [merchants],
    );
  if (!order) throw new Error('no closed order to corrupt');
  const [campaign]: Array<{ id: string }> = await p.services.db.query('SELECT id FROM retail_campaigns WHERE funder_id = $1', [
    order.merchant_id,
  ]);
  const deps = { db: p.services.db, sim: p.payment.sim, merchantIds: merchants, simulatorIsScoped: true };
  const key = `${order.merchant_id}/${order.order_ref}`;
  const trade = p.payment.sim.trades.get(order.view.outTradeNo)!;
  const [member]: Array<{ user_id: string }> = await p.services.db.query(
    'SELECT user_id FROM retail_order_views WHERE merchant_id = $1 AND order_ref = $2',
    [order.merchant_id, order.order_ref],
  );

  await p.services.db.query(
    `UPDATE retail_order_views SET view = jsonb_set(view, '{refundedMinor}', to_jsonb($3::int)) WHERE merchant_id = $1 AND order_ref = $2`,
    [order.merchant_id, order.order_ref, order.view.paidMinor + 1],
  );
  await p.services.db.query('UPDATE retail_campaigns SET committed_minor = committed_minor + 1 WHERE id = $1', [campaign!.id]);
  await p.services.db.query(
    `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta, order_key)
     VALUES ($1, $2, 'drill-corruption', 'restore', 0, 5, $3)`,
    [order.merchant_id, member!.user_id, key],
  );
  trade.refunds.push({ outRequestNo: 'drill-stray', amountMinor: 1, at: new Date() });
  try {
    const found = await retailViolations(deps);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${key} refunded ${order.view.paidMinor + 1} of ${order.view.paidMinor} paid`),
        expect.stringContaining(`${key} refunds add up to`),
        expect.stringContaining(`campaign ${campaign!.id} committed`),
        expect.stringContaining(`${key} (closed) moved`),
        expect.stringContaining('ledger sum'),
        expect.stringContaining(`${key} the platform refunded under drill-stray`),
      ]),
    );
  } finally {
    trade.refunds.pop();
    await p.services.db.query(`DELETE FROM points_ledger WHERE program_id = $1 AND movement_key = 'drill-corruption'`, [order.merchant_id]);
    await p.services.db.query('UPDATE retail_campaigns SET committed_minor = committed_minor - 1 WHERE id = $1', [campaign!.id]);
    await p.services.db.query(
      `UPDATE retail_order_views SET view = jsonb_set(view, '{refundedMinor}', to_jsonb($3::int)) WHERE merchant_id = $1 AND order_ref = $2`,
      [order.merchant_id, order.order_ref, order.view.refundedMinor],
    );
  }
  expect(await retailViolations(deps)).toEqual([]);
});
