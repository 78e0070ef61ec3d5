import type { DataSource } from 'typeorm';
import {
  claimCoupon,
  commitOrderCoupons,
  findCampaign,
  refundCouponShares,
  releaseOrderCoupons,
  reserveCoupon,
} from '../../db/repositories/retailCampaigns';
import { openTestDb } from '../helpers/db';
import { createTestCampaign, createTestMerchant, createTestShoppers, testCampaign, testPii } from '../helpers/retailFactories';

/**
 * Campaign budgets against real PostgreSQL under concurrency: claims and checkouts race on a pool of
 * connections, and exactly the budget is used, the rest refused at once with the limit's name.
 */
let db: DataSource;
const pii = testPii();

beforeAll(async () => {
  db = await openTestDb(16);
});
afterAll(async () => {
  await db?.destroy();
});

/** Runs `work` over the items with `lanes` in flight: as many concurrent requests as API processes would make. */
async function inParallel<T, R>(items: readonly T[], lanes: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

async function sums(campaignId: string) {
  const rows: Array<{ used: number; reserved: number; available: number; committed_sum: string | null }> = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'used')::int AS used, count(*) FILTER (WHERE status = 'reserved')::int AS reserved,
            count(*) FILTER (WHERE status = 'available')::int AS available,
            sum(discount_minor) FILTER (WHERE status = 'used') AS committed_sum
       FROM retail_coupons WHERE campaign_id = $1`,
    [campaignId],
  );
  return rows[0]!;
}

it('a rush of 4,000 concurrent claims and checkouts spends exactly the budget and refuses the rest at once', async () => {
  const merchant = await createTestMerchant(db, pii);
  const shoppers = await createTestShoppers(db, pii, 2_000);
  // 400 coupons, and money for 300 checkouts of 500: the count binds claims, the money binds checkouts.
  const campaign = await createTestCampaign(
    db,
    testCampaign(merchant, [merchant], { budget: { moneyMinor: 150_000, count: 400, dailyMoneyMinor: null, perUser: 1 } }),
  );
  const now = new Date();
  // Every shopper claims twice at once (a double tap): the same request number is one claim.
  const claims = await inParallel(
    shoppers.flatMap((userId) => [userId, userId]),
    64,
    (userId) => claimCoupon(db, { campaignId: campaign.id, userId, requestNo: `r-${userId}`, now }),
  );
  const issued = claims.filter((c) => c.ok && !c.repeated);
  expect(issued).toHaveLength(400);
  const refused = claims.filter((c) => !c.ok);
  expect(new Set(refused.map((c) => (c.ok ? '' : c.reason)))).toEqual(new Set(['coupons_gone']));
  // A second request number for a shopper who holds one: the per-user limit.
  const holder = shoppers.find((_, i) => claims[2 * i]!.ok)!;
  expect(await claimCoupon(db, { campaignId: campaign.id, userId: holder, requestNo: 'again', now })).toEqual({
    ok: false,
    reason: 'per_user_limit',
  });

  // Every holder checks out at once, each coupon worth 500: 300 fit the money budget.
  const held: Array<{ id: string; user_id: string }> = await db.query('SELECT id, user_id FROM retail_coupons WHERE campaign_id = $1', [
    campaign.id,
  ]);
  const outcomes = await inParallel(held, 64, (c, i) =>
    reserveCoupon(db, { couponId: c.id, userId: c.user_id, merchantId: merchant, orderKey: `o-${i}`, discountMinor: 500, now }),
  );
  expect(outcomes.filter((o) => o.ok)).toHaveLength(300);
  expect(new Set(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : o.reason)))).toEqual(new Set(['money_budget_spent']));
  const after = (await findCampaign(db, campaign.id))!;
  expect(after).toMatchObject({ issued_count: 400, reserved_minor: 150_000, committed_minor: 0 });

  // Payments: the first 200 orders are paid (twice: a retried activity), the next 100 fail.
  const reservedOrders = held.map((_, i) => `o-${i}`).filter((_, i) => outcomes[i]!.ok);
  await inParallel([...reservedOrders.slice(0, 200), ...reservedOrders.slice(0, 200)], 32, (o) => commitOrderCoupons(db, o, now));
  await inParallel([...reservedOrders.slice(200), ...reservedOrders.slice(200)], 32, (o) => releaseOrderCoupons(db, o));
  const settled = (await findCampaign(db, campaign.id))!;
  expect(settled).toMatchObject({ reserved_minor: 0, committed_minor: 100_000 });
  // The budget used is exactly the committed coupons.
  const s = await sums(campaign.id);
  expect(s).toMatchObject({ used: 200, reserved: 0, available: 200 });
  expect(Number(s.committed_sum)).toBe(settled.committed_minor);

  // A refund gives a coupon's share back (once, however often it is applied); a whole-order refund returns the coupon.
  const [first, second] = await db.query<Array<{ id: string; order_key: string }>>(
    `SELECT id, order_key FROM retail_coupons WHERE campaign_id = $1 AND status = 'used' ORDER BY id LIMIT 2`,
    [campaign.id],
  );
  await refundCouponShares(db, { orderKey: first!.order_key, refundNo: 'R1', sharesMinor: { [first!.id]: 200 }, couponsReturned: [] });
  await refundCouponShares(db, { orderKey: first!.order_key, refundNo: 'R1', sharesMinor: { [first!.id]: 200 }, couponsReturned: [] });
  await refundCouponShares(db, {
    orderKey: second!.order_key,
    refundNo: 'R1',
    sharesMinor: { [second!.id]: 500 },
    couponsReturned: [second!.id],
  });
  expect(await findCampaign(db, campaign.id)).toMatchObject({ committed_minor: 100_000 - 200 - 500 });
  const back: Array<{ status: string }> = await db.query('SELECT status FROM retail_coupons WHERE id = $1', [second!.id]);
  expect(back[0]!.status).toBe('available');
});

it('refuses a paused campaign, one out of its window, another merchant and another shopper', async () => {
  const merchant = await createTestMerchant(db, pii);
  const other = await createTestMerchant(db, pii);
  const [a, b] = await createTestShoppers(db, pii, 2);
  const campaign = await createTestCampaign(db, testCampaign(merchant, [merchant]));
  const now = new Date();
  const claim = await claimCoupon(db, { campaignId: campaign.id, userId: a!, requestNo: 'x', now });
  expect(claim.ok).toBe(true);
  const couponId = claim.ok ? claim.couponId : '';
  const reserveAs = (userId: string, merchantId: string, at = now) =>
    reserveCoupon(db, { couponId, userId, merchantId, orderKey: 'k1', discountMinor: 500, now: at });
  expect(await reserveAs(b!, merchant)).toEqual({ ok: false, reason: 'no_such_coupon' });
  expect(await reserveAs(a!, other)).toEqual({ ok: false, reason: 'not_for_this_merchant' });
  expect(await reserveAs(a!, merchant, new Date(Date.now() + 60 * 86_400_000))).toEqual({ ok: false, reason: 'not_valid_now' });
  await db.query(`UPDATE retail_campaigns SET status = 'paused' WHERE id = $1`, [campaign.id]);
  expect(await claimCoupon(db, { campaignId: campaign.id, userId: b!, requestNo: 'y', now })).toEqual({
    ok: false,
    reason: 'campaign_paused',
  });
  expect(await claimCoupon(db, { campaignId: '00000000-0000-4000-8000-000000000000', userId: b!, requestNo: 'y', now })).toEqual({
    ok: false,
    reason: 'no_such_campaign',
  });
});
