import type { DataSource } from 'typeorm';
import { remindExpiringCoupons } from '../../db/repositories/couponReminders';
import { muteInstitution } from '../../db/repositories/noticeMutes';
import { claimCoupon } from '../../db/repositories/retailCampaigns';
import { renderNotice } from '../../domain/notices/catalogue';
import { openTestDb } from '../helpers/db';
import { createTestCampaign, createTestMerchant, createTestShoppers, testCampaign, testPii } from '../helpers/retailFactories';

/** "Coupons about to expire" against real PostgreSQL: once per funder, shopper and day; muted funders stay quiet. */
let db: DataSource;
const pii = testPii();
const DAY = 86_400_000;

beforeAll(async () => {
  db = await openTestDb(4);
});
afterAll(async () => {
  await db?.destroy();
});

it('reminds each holder of soon-ending coupons once a day per funder, never a muted shopper, never for used or distant ones', async () => {
  const now = Date.now();
  const shop = await createTestMerchant(db, pii);
  const [alice, bob, carol] = (await createTestShoppers(db, pii, 3)) as [string, string, string];
  const soon = await createTestCampaign(db, testCampaign(shop, [shop], { validUntil: new Date(now + 2 * DAY) }));
  const soon2 = await createTestCampaign(db, testCampaign(shop, [shop], { validUntil: new Date(now + 1 * DAY) }));
  const later = await createTestCampaign(db, testCampaign(shop, [shop], { validUntil: new Date(now + 10 * DAY) }));
  const claim = async (campaignId: string, userId: string) => {
    const r = await claimCoupon(db, { campaignId, userId, requestNo: `r-${campaignId}`, now: new Date(now) });
    if (!r.ok) throw new Error(r.reason);
    return r.couponId;
  };
  await claim(soon.id, alice);
  await claim(soon2.id, alice);
  await claim(later.id, bob);
  const used = await claim(soon.id, carol);
  await db.query(`UPDATE retail_coupons SET status = 'used' WHERE id = $1`, [used]);
  const [bobRef] = await db.query<Array<{ user_ref: string }>>('SELECT user_ref FROM users WHERE id = $1', [bob]);
  await claim(soon.id, bob);
  await muteInstitution(db, bobRef!.user_ref, shop);

  expect(await remindExpiringCoupons(db, now, [shop])).toBe(1);
  expect(await remindExpiringCoupons(db, now, [shop])).toBe(0); // the same day: nothing more
  const notices: Array<{ user_ref: string; kind: string; institution_id: string; data: { count: number; endsAtMs: number } }> =
    await db.query(`SELECT n.user_ref, n.kind, n.institution_id, n.data FROM notifications n WHERE n.journey_id LIKE $1`, [
      `coupon-expiry/${shop}/%`,
    ]);
  const [aliceRef] = await db.query<Array<{ user_ref: string }>>('SELECT user_ref FROM users WHERE id = $1', [alice]);
  expect(notices).toEqual([{ user_ref: aliceRef!.user_ref, kind: 'coupon_expiring', institution_id: shop, data: expect.any(Object) }]);
  expect(notices[0]!.data.count).toBe(2);
  expect(Math.abs(notices[0]!.data.endsAtMs - (now + DAY))).toBeLessThan(1_000);
  expect(renderNotice('coupon_expiring', notices[0]!.data, 'en')).toMatch(/^2 of your coupons expire on /);
  // A day later the same coupons are pointed out again (one per day), and the distant one still is not.
  expect(await remindExpiringCoupons(db, now + DAY, [shop])).toBe(1);
});
