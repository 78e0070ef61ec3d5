import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { insertVerifiedUsers } from '../../bench/lib/seed';
import { pointsBalance } from '../../db/repositories/pointsLedger';
import { recordHistory } from '../helpers/histories';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';
import { startReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';

/**
 * A shop's till through the real API, the real workflow and the payment simulator behind the real SDK:
 * a member's coupon allocated to the units, payment by code (synchronous, USERPAYING, declined, paid
 * during the cancel), partial and concurrent refunds that return exactly what the units were paid,
 * the coupon budget and the points ledger following every step.
 */
let p: TestPlatform;
let merchant: string;
let till: InstitutionHttpClient;
let shopper: string;
const SECRET = 'till-secret';

beforeAll(async () => {
  p = await startTestPlatform();
  merchant = await createTestMerchant(p.services.db, p.services.pii, {
    secret: SECRET,
    settings: { retail: { refundWindowSeconds: 4, userPayingPollSeconds: [1, 1, 1], pointsPerMajor: 1 } },
  });
  till = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: merchant, secret: SECRET });
  shopper = (await insertVerifiedUsers(p.services.db, p.services.pii, p.partner.id, 1, `rs${Date.now().toString(36)}`))[0]!;
});
afterAll(async () => {
  await p?.stop();
});

async function asShopper<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': shopper, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Order {
  stage: string;
  reason: string | null;
  total: number;
  paid: number;
  refunded: number;
  tradeStatus: string;
  units: Array<{ unitId: string; price: number; paid: number; shares: Record<string, number> }>;
  discounts: Array<{ couponId: string; applied: number; roundedUp: string[] }>;
  pointsPending: number;
}
interface Refund {
  refund: number;
  unitsPaid: number;
  clawedBack: number;
  clawBackReturned: number;
  couponShares: Record<string, number>;
  pointsReversed: number;
}

let campaignId: string;
async function freshCoupon(requestNo: string): Promise<string> {
  const claimed = await asShopper<{ couponId: string; repeated: boolean }>('POST', `/v1/retail/campaigns/${campaignId}/claims`, {
    requestNo,
  });
  expect(claimed.status).toBe(201);
  return claimed.body.couponId;
}

const LINES = [
  { lineId: 'A', sku: 'noodles', category: 'food', quantity: 2, unitPrice: 1_000 },
  { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
];

it('sets up a campaign and lets the shopper claim a coupon once per request number', async () => {
  const created = await till.post<{ campaignId: string; budget: { money: number } }>(`/v1/merchants/${merchant}/campaigns`, {
    name: 'Opening week',
    kind: 'fixed',
    value: 500,
    minSpend: 2_000,
    belowMinimum: 'claw_back',
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    budget: { money: 10_000, count: 10, perUser: 5 },
  });
  expect(created.status).toBe(201);
  campaignId = created.body.campaignId;
  const first = await asShopper<{ couponId: string; repeated: boolean }>('POST', `/v1/retail/campaigns/${campaignId}/claims`, {
    requestNo: 'c1',
  });
  const again = await asShopper<{ couponId: string; repeated: boolean }>('POST', `/v1/retail/campaigns/${campaignId}/claims`, {
    requestNo: 'c1',
  });
  expect(again.body).toEqual({ couponId: first.body.couponId, repeated: true });
  const wallet = await asShopper<{ coupons: Array<{ couponId: string; status: string }> }>('GET', '/v1/users/me/coupons');
  expect(wallet.body.coupons).toEqual([expect.objectContaining({ couponId: first.body.couponId, status: 'available' })]);
});

it('sells with a coupon allocated to the units, then refunds by units exactly what they were paid', async () => {
  // The shopper's partner app is pushed the order's stages.
  const receiver = await startReceiverSimulator();
  const hook = await fetch(`${p.api.url}/v1/partner/webhooks/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, eventTypes: ['retail_order.stage_changed'] }),
  });
  receiver.secrets = [((await hook.json()) as { secret: string }).secret];
  const couponId = await freshCoupon('c2');
  const sale = await till.post<Order>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S1',
    memberId: shopper,
    lines: LINES,
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.status).toBe(201);
  expect(sale.body).toMatchObject({ stage: 'paid', total: 2_600, paid: 2_100, tradeStatus: 'paid' });
  // 500 over 1,000 / 1,000 / 600 by largest remainder: 192.31, 192.31, 115.38 → 192, 192, 116 (recorded).
  expect(sale.body.units.map((u) => [u.unitId, u.shares[couponId], u.paid])).toEqual([
    ['A#001', 192, 808],
    ['A#002', 192, 808],
    ['B#001', 116, 484],
  ]);
  expect(sale.body.discounts).toEqual([{ couponId, applied: 500, roundedUp: ['B#001'] }]);
  expect(sale.body.pointsPending).toBe(8 + 8 + 4);
  await until(
    'the paid stage pushed',
    async () => receiver.applied.some((e) => e.data['orderRef'] === 'S1' && e.data['stage'] === 'paid'),
    {
      timeoutMs: 15_000,
    },
  );
  expect(receiver.applied.find((e) => e.data['stage'] === 'paid')?.data).toMatchObject({ merchantId: merchant, paidMinor: 2_100 });
  await receiver.close();
  // The POS retrying the same sale gets the same answer and pays nothing more.
  const retried = await till.post<Order>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S1',
    memberId: shopper,
    lines: LINES,
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(retried.body).toMatchObject({ stage: 'paid', paid: 2_100 });
  expect(
    p.payment.sim.trades.all().filter((t) => t.subject === 'Purchase' && t.totalMinor === 2_100 && t.state === 'TRADE_SUCCESS'),
  ).toHaveLength(1);

  // The tea: its paid 484 back; the food left (2,000) still meets the coupon's minimum.
  const tea = await till.post<Refund>(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R1', unitIds: ['B#001'] });
  expect(tea.status).toBe(200);
  expect(tea.body).toMatchObject({ refund: 484, unitsPaid: 484, clawedBack: 0, couponShares: { [couponId]: 116 }, pointsReversed: 4 });
  expect((await till.post<Refund>(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R1', unitIds: ['B#001'] })).body).toEqual(
    tea.body,
  );
  const twice = await till.post<{ code: string }>(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R9', unitIds: ['B#001'] });
  expect(twice.status).toBe(409);
  const reused = await till.post<{ code: string }>(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R1', unitIds: ['A#001'] });
  expect(reused.status).toBe(422);

  // One noodle: 1,000 left breaks the 2,000 minimum, so the coupon's share on the kept noodle (192) is clawed back.
  const noodle = await till.post<Refund>(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R2', unitIds: ['A#001'] });
  expect(noodle.body).toMatchObject({ refund: 808 - 192, unitsPaid: 808, clawedBack: 192, pointsReversed: 8 });
  const order = await till.get<Order>(`/v1/merchants/${merchant}/orders/S1`);
  expect(order.body).toMatchObject({ stage: 'paid', refunded: 484 + 616 });
  const trade = p.payment.sim.trades.all().find((t) => t.state === 'TRADE_SUCCESS' && t.totalMinor === 2_100)!;
  expect(trade.refunds.reduce((s, r) => s + r.amountMinor, 0)).toBe(1_100);

  // The window ends: the points left (8) become available; no more refunds.
  await until('window closed', async () => (await till.get<Order>(`/v1/merchants/${merchant}/orders/S1`)).body.stage === 'closed', {
    timeoutMs: 20_000,
  });
  expect(await pointsBalance(p.services.db, merchant, shopper)).toEqual({ pending: 0, available: 8 });
  await recordHistory(p.services.temporal.workflow.getHandle(`retail-order/${merchant}/S1`), 'coupon-refunds-closed');
  expect((await till.post(`/v1/merchants/${merchant}/orders/S1/refunds`, { refundNo: 'R3', unitIds: ['A#002'] })).status).toBe(409);
  const budget: Array<{ committed_minor: string; reserved_minor: string }> = await p.services.db.query(
    'SELECT committed_minor, reserved_minor FROM retail_campaigns WHERE id = $1',
    [campaignId],
  );
  // The refunded units' coupon shares went back to the budget (the claw-back is the shopper's, on the kept unit).
  expect(budget[0]).toEqual({ committed_minor: String(500 - 116 - 192), reserved_minor: '0' });
});

it('refunds concurrently without returning more than was paid, and each unit once', async () => {
  const sale = await till.post<Order>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S2',
    lines: [{ lineId: 'X', sku: 'cup', category: 'home', quantity: 5, unitPrice: 333 }],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid', paid: 1_665 });
  const attempts = await Promise.all(
    [['X#001', 'X#002'], ['X#002', 'X#003'], ['X#004'], ['X#005'], ['X#001']].map((unitIds, i) =>
      till.post<Refund>(`/v1/merchants/${merchant}/orders/S2/refunds`, { refundNo: `C${i}`, unitIds }),
    ),
  );
  const ok = attempts.filter((a) => a.status === 200);
  expect(attempts.every((a) => a.status === 200 || a.status === 409)).toBe(true);
  const refunded = ok.reduce((s, a) => s + a.body.refund, 0);
  const view = await till.get<Order>(`/v1/merchants/${merchant}/orders/S2`);
  expect(view.body.refunded).toBe(refunded);
  expect(refunded).toBeLessThanOrEqual(1_665);
  const trade = p.payment.sim.trades.all().find((t) => t.totalMinor === 1_665)!;
  expect(trade.refunds.reduce((s, r) => s + r.amountMinor, 0)).toBe(refunded);
  // Refunds waiting their turn, one at a time (the retail-refunds-one-at-a-time patch).
  await recordHistory(p.services.temporal.workflow.getHandle(`retail-order/${merchant}/S2`), 'concurrent-refunds');
});

it('waits for a USERPAYING buyer, and keeps nothing when they never confirm or pay as the till cancels', async () => {
  const waiting = await till.post<Order>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S3',
    lines: LINES,
    authCode: SIM_AUTH_CODES.waitForBuyer,
  });
  expect(waiting.status).toBe(202);
  expect(waiting.body).toMatchObject({ stage: 'paying', tradeStatus: 'user_paying' });
  const trade = p.payment.sim.trades.all().find((t) => t.state === 'WAIT_BUYER_PAY' && t.totalMinor === 2_600)!;
  p.payment.sim.buyer.pay(trade.outTradeNo);
  await until('paid after confirming', async () => (await till.get<Order>(`/v1/merchants/${merchant}/orders/S3`)).body.stage === 'paid', {
    timeoutMs: 15_000,
  });

  // Never confirmed: polled, then cancelled; the coupon comes back.
  const couponId = await freshCoupon('c3');
  await till.post(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S4',
    memberId: shopper,
    lines: LINES,
    couponIds: [couponId],
    authCode: SIM_AUTH_CODES.waitForBuyer,
  });
  const gaveUp = await until(
    'cancelled',
    async () => {
      const o = (await till.get<Order>(`/v1/merchants/${merchant}/orders/S4`)).body;
      return o.stage === 'payment_failed' ? o : undefined;
    },
    { timeoutMs: 20_000 },
  );
  expect(gaveUp).toMatchObject({ reason: 'buyer_did_not_confirm', tradeStatus: 'cancelled', paid: 0 });
  const wallet = await asShopper<{ coupons: Array<{ couponId: string; status: string }> }>('GET', '/v1/users/me/coupons');
  expect(wallet.body.coupons.find((c) => c.couponId === couponId)?.status).toBe('available');

  // The buyer confirms in the instant the till cancels: the cancel refunds it in full.
  p.payment.sim.faults.inject({ kind: 'payBeforeCancel', times: 1 });
  await till.post(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S5',
    lines: [{ lineId: 'Z', sku: 'z', category: 'x', quantity: 1, unitPrice: 4_321 }],
    authCode: SIM_AUTH_CODES.waitForBuyer,
  });
  const late = await until(
    'refunded by the cancel',
    async () => {
      const o = (await till.get<Order>(`/v1/merchants/${merchant}/orders/S5`)).body;
      return o.stage === 'payment_failed' ? o : undefined;
    },
    { timeoutMs: 20_000 },
  );
  expect(late.reason).toBe('paid_during_cancel_refunded');
  await recordHistory(p.services.temporal.workflow.getHandle(`retail-order/${merchant}/S5`), 'paid-during-cancel');
  const t5 = p.payment.sim.trades.all().find((t) => t.totalMinor === 4_321)!;
  expect(t5).toMatchObject({ state: 'TRADE_CLOSED' });
  expect(t5.refunds.reduce((s, r) => s + r.amountMinor, 0)).toBe(4_321);

  // Declined at once: nothing charged.
  const broke = await till.post<Order>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'S6',
    lines: LINES,
    authCode: SIM_AUTH_CODES.insufficientFunds,
  });
  expect(broke.body).toMatchObject({ stage: 'payment_failed', reason: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', paid: 0 });
});

it('refuses hostile and mistaken till requests with a problem naming the field', async () => {
  const post = (body: unknown) => till.post<{ errors?: Array<{ field: string }>; code: string }>(`/v1/merchants/${merchant}/orders`, body);
  const good = { orderRef: 'H1', lines: LINES, authCode: SIM_AUTH_CODES.success };
  expect((await post({ ...good, lines: [] })).body.errors?.[0]?.field).toMatch(/lines/);
  expect((await post({ ...good, lines: [{ ...LINES[0], quantity: -1 }] })).status).toBe(422);
  expect((await post({ ...good, lines: [LINES[0], LINES[0]] })).status).toBe(422);
  expect((await post({ ...good, authCode: '12' })).body.errors?.[0]?.field).toMatch(/authCode/);
  expect((await post({ ...good, memberId: '00000000-0000-4000-8000-000000000000' })).body.errors?.[0]?.field).toBe('body.memberId');
  expect((await post({ ...good, couponIds: ['00000000-0000-4000-8000-000000000000'] })).body.errors?.[0]?.field).toBe('body.memberId');
  expect((await post({ ...good, orderRef: 'x'.repeat(40) })).status).toBe(422);
  expect((await post({ ...good, extra: true })).status).toBe(422);
  // The same reference for another sale is a conflict, not a second charge.
  expect((await post(good)).status).toBe(201);
  expect((await post({ ...good, lines: [LINES[1]] })).status).toBe(409);
  // Another merchant's till cannot sell, read or refund here.
  const other = await createTestMerchant(p.services.db, p.services.pii, { secret: 'other' });
  const stranger = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: other, secret: 'other' });
  expect((await stranger.post(`/v1/merchants/${merchant}/orders`, { ...good, orderRef: 'H2' })).status).toBe(403);
  expect((await stranger.get(`/v1/merchants/${merchant}/orders/H1`)).status).toBe(403);
  const forged = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: merchant, secret: 'guessed' });
  expect((await forged.post(`/v1/merchants/${merchant}/orders`, { ...good, orderRef: 'H3' })).status).toBe(401);
  expect((await till.post(`/v1/merchants/${merchant}/orders/H1/refunds`, { refundNo: 'bad no!', unitIds: ['A#001'] })).status).toBe(422);
  expect((await till.post(`/v1/merchants/${merchant}/orders/H1/refunds`, { refundNo: 'U1', unitIds: ['Q#001'] })).status).toBe(409);
  expect((await till.get(`/v1/merchants/${merchant}/orders/NOPE`)).status).toBe(404);
});
