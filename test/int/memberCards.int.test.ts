import type { DataSource } from 'typeorm';
import { readProgramme, recordOrderSpend, refreshCard } from '../../db/repositories/memberCards';
import { expireMemberPoints } from '../../db/repositories/pointsExpiry';
import { recordPoints, pointsBalance } from '../../db/repositories/pointsLedger';
import { openTestDb } from '../helpers/db';
import { createTestMerchant, createTestShoppers, testPii } from '../helpers/retailFactories';

/**
 * Member cards and expiry against real PostgreSQL under concurrency: orders of one member land on
 * their cards at once, publications arrive twice and out of order, expiry runs race each other; the
 * cards and the ledger end exactly where the sequential story would.
 */
let db: DataSource;
const pii = testPii();
const DAY = 86_400_000;

beforeAll(async () => {
  db = await openTestDb(16);
});
afterAll(async () => {
  await db?.destroy();
});

const membership = { period: { kind: 'rolling', days: 30 }, tiers: [{ name: 'silver', minSpendMinor: 10_000 }] };

it('counts every order once on the merchant and district cards, whatever the order and repetition of publications', async () => {
  const district = await createTestMerchant(db, pii, { kind: 'district', settings: { retail: { membership } } });
  const merchant = await createTestMerchant(db, pii, { settings: { retail: { districtId: district, membership } } });
  const [user] = await createTestShoppers(db, pii, 1);
  const now = Date.now();
  // 40 orders of 300 each; each published paid (seq 3), then a stale paid again (seq 2), then partly
  // refunded (seq 4: 100 back), in a shuffled order over 16 connections.
  const writes = Array.from({ length: 40 }, (_, i) => [
    { orderRef: `O${i}`, netMinor: 300, seq: 3 },
    { orderRef: `O${i}`, netMinor: 300, seq: 2 },
    { orderRef: `O${i}`, netMinor: 200, seq: 4 },
  ]).flat();
  for (let i = writes.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [writes[i], writes[j]] = [writes[j]!, writes[i]!];
  }
  await Promise.all(writes.map((w) => recordOrderSpend(db, { merchantId: merchant, userId: user!, nowMs: now, ...w })));
  const cards: Array<{ scope_id: string; period_spend_minor: string; tier: string | null }> = await db.query(
    'SELECT scope_id, period_spend_minor, tier FROM member_cards WHERE user_id = $1 ORDER BY scope',
    [user],
  );
  expect(cards).toHaveLength(2);
  expect(cards).toEqual(
    expect.arrayContaining([
      { scope_id: district, period_spend_minor: '8000', tier: null },
      { scope_id: merchant, period_spend_minor: '8000', tier: null },
    ]),
  );
  // One more order reaches 10,000 at the merchant: silver at once.
  await recordOrderSpend(db, { merchantId: merchant, userId: user!, orderRef: 'BIG', netMinor: 2_000, seq: 3, nowMs: now });
  const programme = (await readProgramme(db, merchant))!;
  const [card] = await db.query<Array<{ id: string }>>('SELECT id FROM member_cards WHERE scope_id = $1 AND user_id = $2', [
    merchant,
    user,
  ]);
  expect(await refreshCard(db, card!.id, programme, now)).toMatchObject({ tier: 'silver', period_spend_minor: 10_000 });
  // Its review, 30 days on, finds the period's 10,000: silver kept; 60 days on, nothing spent: none.
  expect(await refreshCard(db, card!.id, programme, now + 30 * DAY + 1)).toMatchObject({ tier: 'silver' });
  expect(await refreshCard(db, card!.id, programme, now + 61 * DAY)).toMatchObject({ tier: null, period_spend_minor: 0 });
});

it('expires each due lot once however many runs race', async () => {
  const merchant = await createTestMerchant(db, pii);
  const [user] = await createTestShoppers(db, pii, 1);
  for (const [key, n] of [
    ['a', 40],
    ['b', 25],
  ] as const) {
    await recordPoints(db, {
      programId: merchant,
      userId: user!,
      key: `earn:${key}`,
      kind: 'earn_pending',
      pendingDelta: n,
      availableDelta: 0,
    });
    await recordPoints(db, {
      programId: merchant,
      userId: user!,
      key: `release:${key}`,
      kind: 'release',
      pendingDelta: -n,
      availableDelta: n,
    });
  }
  const later = Date.now() + 31 * DAY;
  const moved = await Promise.all(
    Array.from({ length: 12 }, () => expireMemberPoints(db, { programId: merchant, userId: user!, ageMs: 30 * DAY, nowMs: later })),
  );
  expect(moved.reduce((s, n) => s + n, 0)).toBe(65);
  expect(await pointsBalance(db, merchant, user!)).toEqual({ pending: 0, available: 0 });
  expect(await expireMemberPoints(db, { programId: merchant, userId: user!, ageMs: 30 * DAY, nowMs: later })).toBe(0);
});
