import type { DataSource } from 'typeorm';
import { muteInstitution } from '../../db/repositories/noticeMutes';
import { remindExpiringPoints } from '../../db/repositories/pointsReminders';
import { renderNotice } from '../../domain/notices/catalogue';
import { openTestDb } from '../helpers/db';
import { createTestMerchant, createTestShoppers, testPii } from '../helpers/retailFactories';

/** "Points about to expire" against real PostgreSQL: once per programme, member and day; muted members stay quiet. */
let db: DataSource;
const pii = testPii();
const DAY = 86_400_000;

beforeAll(async () => {
  db = await openTestDb(4);
});
afterAll(async () => {
  await db?.destroy();
});

async function move(shop: string, userId: string, key: string, available: number, atMs: number): Promise<void> {
  await db.query(
    `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta, created_at)
     VALUES ($1, $2, $3, $4, 0, $5, $6)`,
    [shop, userId, key, available > 0 ? 'release' : key.startsWith('expire:') ? 'expire' : 'redeem', available, new Date(atMs)],
  );
}

it('tells each member whose points expire within three days, once a day, never a muted member, never for young or spent lots', async () => {
  const now = Date.now();
  const age = 30 * DAY;
  const shop = await createTestMerchant(db, pii);
  const [alice, bob, carol, dave] = (await createTestShoppers(db, pii, 4)) as [string, string, string, string];
  // Alice: 100 points 28 days old (expire in 2 days), 40 more 10 days old. Bob: the same, but muted.
  // Carol: her old lot was spent. Dave: only young points.
  await move(shop, alice, 'release:a1', 100, now - 28 * DAY);
  await move(shop, alice, 'release:a2', 40, now - 10 * DAY);
  await move(shop, bob, 'release:b1', 100, now - 28 * DAY);
  await move(shop, carol, 'release:c1', 60, now - 29 * DAY);
  await move(shop, carol, 'redeem:c', -60, now - 5 * DAY);
  await move(shop, dave, 'release:d1', 80, now - 5 * DAY);
  const [bobRef] = await db.query<Array<{ user_ref: string }>>('SELECT user_ref FROM users WHERE id = $1', [bob]);
  await muteInstitution(db, bobRef!.user_ref, shop);

  // A page of one member at a time walks them all.
  expect(await remindExpiringPoints(db, { programId: shop, ageMs: age, asOfMs: now, pageSize: 1 })).toBe(1);
  expect(await remindExpiringPoints(db, { programId: shop, ageMs: age, asOfMs: now, pageSize: 1 })).toBe(0); // the same day
  const notices: Array<{ user_ref: string; kind: string; institution_id: string; data: { points: number; expiresAtMs: number } }> =
    await db.query(`SELECT user_ref, kind, institution_id, data FROM notifications WHERE journey_id LIKE $1`, [`points-expiry/${shop}/%`]);
  const [aliceRef] = await db.query<Array<{ user_ref: string }>>('SELECT user_ref FROM users WHERE id = $1', [alice]);
  expect(notices).toEqual([{ user_ref: aliceRef!.user_ref, kind: 'points_expiring', institution_id: shop, data: expect.any(Object) }]);
  expect(notices[0]!.data.points).toBe(100);
  expect(Math.abs(notices[0]!.data.expiresAtMs - (now + 2 * DAY))).toBeLessThan(1_000);
  expect(renderNotice('points_expiring', notices[0]!.data, 'en')).toMatch(/^100 of your points expire on /);

  // Once the old lot has expired, the next day's run has nothing to say to Alice until the young lot nears.
  await move(shop, alice, 'expire:release:a1', -100, now + 2 * DAY);
  expect(await remindExpiringPoints(db, { programId: shop, ageMs: age, asOfMs: now + 3 * DAY, pageSize: 10 })).toBe(0);
  expect(await remindExpiringPoints(db, { programId: shop, ageMs: age, asOfMs: now + 18 * DAY, pageSize: 10 })).toBe(1); // Alice's 40 (day 20)
  await move(shop, alice, 'expire:release:a2', -40, now + 20 * DAY);
  expect(await remindExpiringPoints(db, { programId: shop, ageMs: age, asOfMs: now + 23 * DAY, pageSize: 10 })).toBe(1); // Dave's 80 (day 25)
  const told: Array<{ user_ref: string; data: { points: number } }> = await db.query(
    `SELECT user_ref, data FROM notifications WHERE journey_id LIKE $1 ORDER BY id`,
    [`points-expiry/${shop}/%`],
  );
  expect(told.map((n) => n.data.points)).toEqual([100, 40, 80]);
});
