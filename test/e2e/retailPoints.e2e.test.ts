import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { insertVerifiedUsers } from '../../bench/lib/seed';
import { pointsBalance, recordPoints } from '../../db/repositories/pointsLedger';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * Points spent at the till (issue 12, item 4: redemption at a set rate): the member's available points
 * become a discount on what coupons left, capped by the merchant's share, allocated to the units like a
 * coupon; two tills can never spend the same points; a failed payment gives them back; refunds give back
 * the refunded units' share, and the last refund all that is left.
 */
let p: TestPlatform;
let merchant: string;
let till: InstitutionHttpClient;
const SECRET = 'points-till-secret';

interface Order {
  stage: string;
  reason: string | null;
  total: number;
  paid: number;
  units: Array<{ unitId: string; price: number; paid: number; shares: Record<string, number> }>;
  pointsRedeemed: number;
  refunds: Array<{ refundNo: string; pointsRestored: number }>;
}
interface Refund {
  refund: number;
  unitsPaid: number;
  pointsRestored: number;
}

const LINES = [
  { lineId: 'A', sku: 'noodles', category: 'food', quantity: 2, unitPrice: 1_000 },
  { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
];

beforeAll(async () => {
  p = await startTestPlatform();
  merchant = await createTestMerchant(p.services.db, p.services.pii, {
    secret: SECRET,
    settings: { retail: { refundWindowSeconds: 30, pointsPerMajor: 0, redemption: { minorPerPoint: 2, maxShare: 0.5 } } },
  });
  till = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: merchant, secret: SECRET });
});
afterAll(async () => {
  await p?.stop();
});

async function memberWith(points: number): Promise<string> {
  const [user] = await insertVerifiedUsers(p.services.db, p.services.pii, p.partner.id, 1, `rp${Math.random().toString(36).slice(2, 8)}`);
  await recordPoints(p.services.db, {
    programId: merchant,
    userId: user!,
    key: `grant:${user}`,
    kind: 'release',
    pendingDelta: 0,
    availableDelta: points,
  });
  return user!;
}

const sell = (orderRef: string, memberId: string, redeemPoints: number, authCode: string = SIM_AUTH_CODES.success) =>
  till.post<Order>(`/v1/merchants/${merchant}/orders`, { orderRef, memberId, lines: LINES, redeemPoints, authCode });
const orderOf = async (ref: string) => (await till.get<Order>(`/v1/merchants/${merchant}/orders/${ref}`)).body;

it('spends points as a discount at the rate, allocated to the units, and gives them back with refunds', async () => {
  const member = await memberWith(500);
  const sale = await sell('P1', member, 400);
  expect(sale.status).toBe(201);
  // 400 points × 2 = 800 off a 2,600 order (the cap is half: 1,300), spread over the units by price.
  expect(sale.body).toMatchObject({ stage: 'paid', total: 2_600, paid: 1_800, pointsRedeemed: 400 });
  expect(sale.body.units.map((u) => u.shares['points'])).toEqual([308, 308, 184]);
  expect(sale.body.units.reduce((s, u) => s + u.paid, 0)).toBe(1_800);
  expect(await pointsBalance(p.services.db, merchant, member)).toEqual({ pending: 0, available: 100 });

  // The tea: its 184 of the discount is 92 points back (whole points), with the money it was paid.
  const tea = await till.post<Refund>(`/v1/merchants/${merchant}/orders/P1/refunds`, { refundNo: 'T', unitIds: ['B#001'] });
  expect(tea.body).toMatchObject({ refund: 416, unitsPaid: 416, pointsRestored: 92 });
  // Repeated: the same answer, nothing given twice.
  expect(
    (await till.post<Refund>(`/v1/merchants/${merchant}/orders/P1/refunds`, { refundNo: 'T', unitIds: ['B#001'] })).body,
  ).toMatchObject({
    pointsRestored: 92,
  });
  // The rest of the order: the last refund gives back every point still out.
  const rest = await till.post<Refund>(`/v1/merchants/${merchant}/orders/P1/refunds`, { refundNo: 'R', unitIds: ['A#001', 'A#002'] });
  expect(rest.body).toMatchObject({ refund: 1_384, pointsRestored: 308 });
  expect(await pointsBalance(p.services.db, merchant, member)).toEqual({ pending: 0, available: 500 });
});

it('caps the discount at the merchant share and at what the member holds', async () => {
  const member = await memberWith(5_000);
  const capped = await sell('P2', member, 5_000);
  expect(capped.body).toMatchObject({ paid: 1_300, pointsRedeemed: 650 }); // half of 2,600 at 2 per point
  const poor = await memberWith(30);
  expect((await sell('P3', poor, 500)).body).toMatchObject({ paid: 2_540, pointsRedeemed: 30 });
  expect(await pointsBalance(p.services.db, merchant, poor)).toEqual({ pending: 0, available: 0 });
});

it('never lets two tills spend the same points', async () => {
  const member = await memberWith(500);
  const [a, b] = await Promise.all([sell('P4', member, 300), sell('P5', member, 300)]);
  expect([a.body.pointsRedeemed, b.body.pointsRedeemed].sort((x, y) => x - y)).toEqual([200, 300]);
  expect(await pointsBalance(p.services.db, merchant, member)).toEqual({ pending: 0, available: 0 });
});

it('gives the points back when the payment fails', async () => {
  const member = await memberWith(400);
  const declined = await sell('P6', member, 400, SIM_AUTH_CODES.insufficientFunds);
  expect(declined.body).toMatchObject({ stage: 'payment_failed', paid: 0 });
  await until('points given back', async () => (await pointsBalance(p.services.db, merchant, member)).available === 400 || undefined, {
    timeoutMs: 10_000,
  });
  expect((await orderOf('P6')).pointsRedeemed).toBe(400);
});

it('refuses points without a member and amounts that are not whole positive numbers, naming the field', async () => {
  const member = await memberWith(10);
  const anonymous = await till.post<{ errors: Array<{ field: string }> }>(`/v1/merchants/${merchant}/orders`, {
    orderRef: 'P7',
    lines: LINES,
    redeemPoints: 10,
    authCode: SIM_AUTH_CODES.success,
  });
  expect(anonymous.status).toBe(422);
  expect(anonymous.body.errors).toEqual([expect.objectContaining({ field: 'body.memberId' })]);
  for (const bad of [0, -5, 1.5, '10', 20_000_000]) {
    const r = await till.post<{ errors: Array<{ field: string }> }>(`/v1/merchants/${merchant}/orders`, {
      orderRef: 'P8',
      memberId: member,
      lines: LINES,
      redeemPoints: bad,
      authCode: SIM_AUTH_CODES.success,
    });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((f) => f.field)).toContain('body.redeemPoints');
  }
  expect(await pointsBalance(p.services.db, merchant, member)).toEqual({ pending: 0, available: 10 });
});
