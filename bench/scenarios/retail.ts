import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { recordPoints } from '../../db/repositories/pointsLedger';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { JsonHttp, partnerHeaders } from '../lib/http';
import { memoryLabel, type Comparison } from '../lib/report';
import { insertVerifiedUsers } from '../lib/seed';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, pool, ratioPercent, summarize } from '../lib/stats';

/**
 * Retail (issue 12, item 9), each figure beside a floor measured in the same run:
 *  - checkout through the signed POS route (an order journey: pricing, `alipay.trade.pay` through the
 *    real SDK to the simulator, points, receipt, view), answered when paid, against bare `trade.pay`
 *    calls through the same SDK to the same simulator (goal p99 < 300 ms, ≥ 50% of the floor);
 *  - the coupon rush: C concurrent claims (two per shopper, one request number) through the partner
 *    API against N coupons, then every holder checks out with their coupon against money for 3/4 of
 *    the checkouts made: 0 overspend, exactly the budget used, the rest refused with their reason;
 *  - points ledger writes (idempotent movements) against a bare INSERT of the same rows.
 */
const MERCHANT = 'bench-shop';
const SECRET = 'bench-shop-secret';
const LANES = 8;

async function insertMerchant(stack: Stack): Promise<void> {
  await stack.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'merchant', $1, 'Asia/Shanghai', $2, $3)
     ON CONFLICT (id) DO NOTHING`,
    [MERCHANT, stack.pii.encrypt(SECRET), JSON.stringify({ retail: { refundWindowSeconds: 3_600, pointsPerMajor: 1 } })],
  );
}

const LINES = [
  { lineId: 'A', sku: 'noodles', category: 'food', quantity: 2, unitPrice: 1_000 },
  { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
];

export async function retailScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const o = stack.options;
  await insertMerchant(stack);
  const till = new InstitutionHttpClient({ baseUrl: stack.api.apiUrl, institutionId: MERCHANT, secret: SECRET, timeoutMs: 30_000 });
  const tag = Date.now().toString(36).slice(-5);
  const members = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, Math.max(o.retailCheckouts, 1), `RM${tag}`);

  // 1. Checkout through the POS vs bare trade.pay.
  say(`retail: ${o.retailCheckouts} checkouts through the POS route, ${LANES} tills at once…`);
  const latencies: number[] = [];
  let paid = 0;
  const end = await stack.usage.window();
  const t0 = nowMs();
  await pool(o.retailCheckouts, LANES, async (i) => {
    const s0 = nowMs();
    const r = await till.post<{ stage: string }>(`/v1/merchants/${MERCHANT}/orders`, {
      orderRef: `B${tag}${i}`,
      memberId: members[i],
      lines: LINES,
      authCode: SIM_AUTH_CODES.success,
    });
    latencies.push(nowMs() - s0);
    if (r.status === 201 && r.body.stage === 'paid') paid++;
  });
  const elapsed = nowMs() - t0;
  const usage = await end();
  const floorLat: number[] = [];
  const endFloor = await stack.usage.window();
  const f0 = nowMs();
  await pool(o.retailCheckouts, LANES, async (i) => {
    const s0 = nowMs();
    await stack.payment.provider.payByBarcode({
      outTradeNo: `BF${tag}${i}`,
      amountMinor: 2_600,
      currency: 'CNY',
      subject: 'floor',
      authCode: SIM_AUTH_CODES.success,
    });
    floorLat.push(nowMs() - s0);
  });
  const floorMs = nowMs() - f0;
  const floorUsage = await endFloor();
  const lat = summarize(latencies);
  const checkout: Comparison = {
    scenario: 'Retail checkout (POS) vs bare trade.pay',
    measured: {
      what: `signed POST /v1/merchants/:id/orders → order journey → trade.pay → paid view, ${LANES} tills`,
      rate: perSecond(o.retailCheckouts, elapsed),
      unit: 'checkouts/s',
      latency: lat,
      details: { orders: o.retailCheckouts, paid },
    },
    floor: {
      what: `bare trade.pay through the SDK to the simulator, ${LANES} at once`,
      rate: perSecond(o.retailCheckouts, floorMs),
      unit: 'payments/s',
      latency: summarize(floorLat),
    },
    ratioPercent: ratioPercent(perSecond(o.retailCheckouts, elapsed), perSecond(o.retailCheckouts, floorMs)),
    goalPercent: 50,
    checks: [
      { name: 'every checkout paid once', ok: paid === o.retailCheckouts, detail: `${paid} of ${o.retailCheckouts}` },
      { name: 'p99 < 300 ms', ok: lat.p99Ms < 300, detail: `p99 ${Math.round(lat.p99Ms)} ms` },
    ],
    usage: { measured: usage, floor: floorUsage },
    memory: memoryLabel(usage.rss, [
      ['api', 'API'],
      ['worker', 'worker'],
    ]),
    notes: ['Each checkout is a workflow start, four activities and two view writes before the answer.'],
  };

  // 2. The coupon rush.
  const coupons = o.retailRushCoupons;
  const claimers = Math.ceil(o.retailRushClaims / 2);
  say(`retail: coupon rush, ${o.retailRushClaims} claims by ${claimers} shoppers for ${coupons} coupons…`);
  const shoppers = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, claimers, `RR${tag}`);
  // Money for three quarters of the checkouts that will come: the money budget, not the count, binds them.
  const money = Math.floor((Math.min(o.retailRushCheckouts, coupons) * 3) / 4) * 300;
  const created = await till.post<{ campaignId: string }>(`/v1/merchants/${MERCHANT}/campaigns`, {
    name: 'Rush',
    kind: 'fixed',
    value: 300,
    minSpend: 0,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    budget: { money, count: coupons, perUser: 1 },
  });
  const campaignId = created.body.campaignId;
  const http = new JsonHttp(stack.api.apiUrl, { maxSockets: 64 });
  const claimResults: Array<{ status: number; couponId?: string; user: string }> = [];
  const r0 = nowMs();
  await pool(claimers * 2, 64, async (i) => {
    const user = shoppers[Math.floor(i / 2)]!;
    const r = await http.request<{ couponId?: string }>('POST', `/v1/retail/campaigns/${campaignId}/claims`, {
      headers: partnerHeaders(stack.partner.apiKey, user),
      body: { requestNo: `rush-${user}` },
    });
    claimResults.push({ status: r.status, user, ...(r.body.couponId ? { couponId: r.body.couponId } : {}) });
  });
  const claimMs = nowMs() - r0;
  const holders = new Map<string, string>();
  for (const c of claimResults) if (c.status === 201 && c.couponId) holders.set(c.user, c.couponId);
  const refusedClaims = claimResults.filter((c) => c.status === 409).length;
  const holderList = [...holders.entries()].slice(0, o.retailRushCheckouts);
  let checkedOut = 0;
  let refusedCheckouts = 0;
  await pool(holderList.length, LANES * 2, async (i) => {
    const [user, couponId] = holderList[i]!;
    const r = await till.post<{ stage: string; reason: string | null }>(`/v1/merchants/${MERCHANT}/orders`, {
      orderRef: `R${tag}${i}`,
      memberId: user,
      couponIds: [couponId],
      lines: LINES,
      authCode: SIM_AUTH_CODES.success,
    });
    if (r.body.stage === 'paid') checkedOut++;
    else if (r.body.stage === 'refused') refusedCheckouts++;
  });
  const rushMs = nowMs() - r0;
  // Coupons are committed just after the till's answer: wait for the last reservations to settle.
  for (let i = 0; i < 200; i++) {
    const left: Array<{ reserved_minor: string }> = await stack.db.query('SELECT reserved_minor FROM retail_campaigns WHERE id = $1', [
      campaignId,
    ]);
    if (Number(left[0]?.reserved_minor) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const budget: Array<{ issued_count: number; committed_minor: string; reserved_minor: string }> = await stack.db.query(
    'SELECT issued_count, committed_minor, reserved_minor FROM retail_campaigns WHERE id = $1',
    [campaignId],
  );
  const used: Array<{ n: number; s: string | null }> = await stack.db.query(
    `SELECT count(*)::int AS n, sum(discount_minor) AS s FROM retail_coupons WHERE campaign_id = $1 AND status = 'used'`,
    [campaignId],
  );
  const committed = Number(budget[0]?.committed_minor ?? -1);
  const rush: Comparison = {
    scenario: 'Coupon rush: claims and checkouts',
    measured: {
      what: `${claimers * 2} claims over 64 connections, then ${holderList.length} checkouts with the coupon`,
      rate: perSecond(claimers * 2, claimMs),
      unit: 'claims/s',
      details: {
        coupons,
        money,
        issued: budget[0]?.issued_count,
        refusedClaims,
        checkedOut,
        refusedCheckouts,
        committed,
        rushSeconds: Math.round(rushMs / 1000),
      },
    },
    floor: { what: 'see the checkout row', rate: checkout.floor.rate, unit: 'payments/s' },
    ratioPercent: null,
    checks: [
      {
        name: 'exactly the coupon count issued',
        ok: holders.size === coupons && budget[0]?.issued_count === coupons,
        detail: `${holders.size} holders, ${budget[0]?.issued_count} issued`,
      },
      {
        name: '0 overspend',
        ok: committed <= money && Number(budget[0]?.reserved_minor) === 0,
        detail: `${committed} of ${money} committed`,
      },
      {
        name: 'budget used = committed coupons',
        ok: Number(used[0]?.s ?? 0) === committed,
        detail: `${used[0]?.n} used coupons worth ${used[0]?.s ?? 0}`,
      },
      {
        name: 'checkouts past the money refused',
        ok: checkedOut === Math.min(holderList.length, money / 300) && checkedOut + refusedCheckouts === holderList.length,
        detail: `${checkedOut} paid, ${refusedCheckouts} refused`,
      },
    ],
    usage: { measured: usage, floor: null },
    memory: memoryLabel(usage.rss, [['api', 'API']]),
    notes: [
      'Claims and checkouts queue on the campaign row (SELECT … FOR UPDATE): correctness first; throughput is one campaign row at a time.',
    ],
  };

  // 3. Points ledger writes vs a bare INSERT.
  const writes = o.retailLedgerWrites;
  say(`retail: ${writes} points movements…`);
  const l0 = nowMs();
  await pool(writes, 16, async (i) => {
    await recordPoints(stack.db, {
      programId: MERCHANT,
      userId: members[i % members.length]!,
      key: `bench:${tag}:${i}`,
      kind: 'earn_pending',
      pendingDelta: 10,
      availableDelta: 0,
    });
  });
  const ledgerMs = nowMs() - l0;
  const b0 = nowMs();
  await pool(writes, 16, async (i) => {
    await stack.db.query(
      `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta) VALUES ($1, $2, $3, 'earn_pending', 10, 0)`,
      [MERCHANT, members[i % members.length], `bare:${tag}:${i}`],
    );
  });
  const bareMs = nowMs() - b0;
  const sum: Array<{ n: number }> = await stack.db.query(`SELECT count(*)::int AS n FROM points_ledger WHERE movement_key LIKE $1`, [
    `bench:${tag}:%`,
  ]);
  const ledger: Comparison = {
    scenario: 'Points ledger writes vs bare INSERT',
    measured: {
      what: 'idempotent movements (INSERT … ON CONFLICT DO NOTHING RETURNING), 16 at once',
      rate: perSecond(writes, ledgerMs),
      unit: 'movements/s',
    },
    floor: { what: 'a bare INSERT of the same rows, 16 at once', rate: perSecond(writes, bareMs), unit: 'rows/s' },
    ratioPercent: ratioPercent(perSecond(writes, ledgerMs), perSecond(writes, bareMs)),
    checks: [{ name: 'every movement written once', ok: sum[0]?.n === writes, detail: `${sum[0]?.n} rows` }],
    usage: { measured: usage, floor: null },
    memory: memoryLabel(usage.rss, [['bench', 'bench']]),
    notes: ["Both write through the bench's pool to the same table and indexes."],
  };
  return [checkout, rush, ledger];
}
