import { insertVerifiedUsers } from '../../bench/lib/seed';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { pointsBalance } from '../../db/repositories/pointsLedger';
import { maskName, maskPhone } from '../../domain/masking';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import type { RetailMembershipSweepInput } from '../../workflows/retail/membership/workflow';
import { recordHistory } from '../helpers/histories';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * Member cards through the real API, the real order journey and the real membership sweep: a shopper
 * enrolled at their first paid order at a merchant and its district, the district's card adding up
 * spend at two merchants, tiers rising at their thresholds and not falling between reviews, points
 * expiring exactly when due and once, and the members a merchant or district sees, masked.
 */
let p: TestPlatform;
let district: string;
let m1: string;
let m2: string;
let m3: string;
let t1: InstitutionHttpClient;
let t2: InstitutionHttpClient;
let hub: InstitutionHttpClient;
let shopper: string;
let other: string;
const DAY = 86_400_000;

beforeAll(async () => {
  p = await startTestPlatform();
  const { db, pii } = p.services;
  // Periods long enough that no review falls due during the run, whatever today's date.
  district = await createTestMerchant(db, pii, {
    kind: 'district',
    secret: 'hub',
    settings: {
      retail: {
        membership: {
          period: { kind: 'rolling', days: 365 },
          tiers: [
            { name: 'silver', minSpendMinor: 5_000 },
            { name: 'gold', minSpendMinor: 50_000 },
          ],
        },
      },
    },
  });
  const shop = (secret: string, refundWindowSeconds: number, membership: Record<string, unknown>) =>
    createTestMerchant(db, pii, {
      secret,
      settings: { retail: { districtId: district, refundWindowSeconds, pointsPerMajor: 1, membership } },
    });
  m1 = await shop('m1', 2, {
    period: { kind: 'rolling', days: 30 },
    tiers: [{ name: 'silver', minSpendMinor: 3_000 }],
    pointsExpireAfterDays: 30,
  });
  // m2's window stays open for the refund below.
  m2 = await shop('m2', 30, {});
  m3 = await createTestMerchant(db, pii, { secret: 'm3' });
  t1 = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: m1, secret: 'm1' });
  t2 = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: m2, secret: 'm2' });
  hub = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: district, secret: 'hub' });
  [shopper, other] = (await insertVerifiedUsers(db, pii, p.partner.id, 2, `mb${Date.now().toString(36)}`)) as [string, string];
});
afterAll(async () => {
  await p?.stop();
});

async function as<T>(user: string, method: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': user },
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Card {
  cardId: string;
  scope: string;
  programId: string;
  joinedVia: string;
  tier: string | null;
  periodSpend: number;
  points: { pending: number; available: number };
}
const cardAt = async (programId: string): Promise<Card | undefined> =>
  (await as<{ cards: Card[] }>(shopper, 'GET', '/v1/users/me/cards')).body.cards.find((c) => c.programId === programId);
/** The card once its spend reads `spend` (the card follows the order view just after the till's answer). */
const cardWithSpend = (programId: string, spend: number) =>
  until(`card at ${programId} with spend ${spend}`, async () => {
    const c = await cardAt(programId);
    return c?.periodSpend === spend ? c : undefined;
  });

async function sell(till: InstitutionHttpClient, merchant: string, orderRef: string, lines: unknown[], memberId?: string) {
  const sale = await till.post<{ stage: string; paid: number }>(`/v1/merchants/${merchant}/orders`, {
    orderRef,
    ...(memberId ? { memberId } : {}),
    lines,
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid' });
  return sale.body;
}
const closed = (till: InstitutionHttpClient, merchant: string, orderRef: string) =>
  until(
    `${orderRef} closed`,
    async () => (await till.get<{ stage: string }>(`/v1/merchants/${merchant}/orders/${orderRef}`)).body.stage === 'closed',
    { timeoutMs: 20_000 },
  );

it('enrols a member at their first paid order, at the merchant and its district; a walk-in makes no card', async () => {
  await sell(t1, m1, 'W1', [{ lineId: 'A', sku: 'gum', category: 'food', quantity: 1, unitPrice: 300 }]);
  await closed(t1, m1, 'W1');
  const none: unknown[] = await p.services.db.query('SELECT 1 FROM member_cards WHERE scope_id = $1', [m1]);
  expect(none).toHaveLength(0);

  await sell(
    t1,
    m1,
    'O1',
    [
      { lineId: 'A', sku: 'noodles', category: 'food', quantity: 2, unitPrice: 1_000 },
      { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
    ],
    shopper,
  );
  expect(await cardWithSpend(m1, 2_600)).toMatchObject({ scope: 'merchant', joinedVia: 'first_order', tier: null });
  expect(await cardWithSpend(district, 2_600)).toMatchObject({ scope: 'district', joinedVia: 'first_order', tier: null });
  // Its points reach the card's balance: pending until the refund window ends, then available.
  await closed(t1, m1, 'O1');
  expect((await cardAt(m1))?.points).toEqual({ pending: 0, available: 26 });
});

it("adds up the district's spend across its merchants and moves tiers up at their thresholds, not down on a refund", async () => {
  await sell(t2, m2, 'O2', [{ lineId: 'A', sku: 'lamp', category: 'home', quantity: 2, unitPrice: 1_200 }], shopper);
  // 2,600 at m1 and 2,400 at m2: the district's 5,000 reaches silver at once.
  expect(await cardWithSpend(district, 5_000)).toMatchObject({ tier: 'silver' });
  expect(await cardWithSpend(m2, 2_400)).toMatchObject({ tier: null });
  await sell(t1, m1, 'O3', [{ lineId: 'A', sku: 'pen', category: 'office', quantity: 1, unitPrice: 400 }], shopper);
  expect(await cardWithSpend(m1, 3_000)).toMatchObject({ tier: 'silver' });
  expect(await cardWithSpend(district, 5_400)).toMatchObject({ tier: 'silver' });
  // A refund lowers the spend; the tier stays until the period's review.
  const refund = await t2.post<{ refund: number }>(`/v1/merchants/${m2}/orders/O2/refunds`, { refundNo: 'R1', unitIds: ['A#001'] });
  expect(refund).toMatchObject({ status: 200, body: { refund: 1_200 } });
  expect(await cardWithSpend(district, 4_200)).toMatchObject({ tier: 'silver' });
  expect(await cardWithSpend(m2, 1_200)).toMatchObject({ tier: null });
});

it('joins a programme once, whoever made the card', async () => {
  const first = await as<{ card: Card; created: boolean }>(shopper, 'POST', `/v1/retail/programmes/${m3}/card`);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ created: true, card: { programId: m3, scope: 'merchant', joinedVia: 'shopper', periodSpend: 0 } });
  const again = await as<{ card: Card; created: boolean }>(shopper, 'POST', `/v1/retail/programmes/${m3}/card`);
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ ...first.body, created: false });
  const atM1 = await as<{ card: Card; created: boolean }>(shopper, 'POST', `/v1/retail/programmes/${m1}/card`);
  expect(atM1.body).toMatchObject({ created: false, card: { joinedVia: 'first_order', tier: 'silver' } });
  expect((await as(shopper, 'POST', '/v1/retail/programmes/nowhere/card')).status).toBe(404);
  expect((await as(shopper, 'POST', '/v1/retail/programmes/bad!id/card')).status).toBe(422);
  expect((await as(shopper, 'POST', `/v1/retail/programmes/${'m'.repeat(65)}/card`)).status).toBe(422);
  // A forged partner key reaches nobody's cards.
  for (const [method, path] of [
    ['POST', `/v1/retail/programmes/${m3}/card`],
    ['GET', '/v1/users/me/cards'],
    ['GET', `/v1/users/me/points/history?program=${m1}`],
  ] as const) {
    const res = await fetch(`${p.api.url}${path}`, { method, headers: { authorization: 'Bearer forged-key', 'x-causeway-user': shopper } });
    expect(res.status).toBe(401);
  }
  const cards = (await as<{ cards: Card[] }>(shopper, 'GET', '/v1/users/me/cards')).body.cards;
  expect(cards.map((c) => c.programId).sort()).toEqual([m1, m2, m3, district].sort());
  // The other shopper joins m1 by hand (the members list pages through both).
  expect((await as(other, 'POST', `/v1/retail/programmes/${m1}/card`)).status).toBe(201);
});

it('shows a merchant and a district their members masked, with tier counts, and nobody else', async () => {
  const [u] = await p.services.db.query<Array<Record<string, string>>>(
    'SELECT legal_name_enc, phone_enc, id_number_enc FROM users WHERE id = $1',
    [shopper],
  );
  const name = p.services.pii.decrypt(u!['legal_name_enc']!);
  const phone = p.services.pii.decrypt(u!['phone_enc']!);
  const idNumber = p.services.pii.decrypt(u!['id_number_enc']!);
  type Members = {
    members: Array<{ cardId: string; name: string; phone: string; tier: string | null; periodSpend: number; merchants: number }>;
    nextCursor: string | null;
  };
  const first = await t1.get<Members>(`/v1/merchants/${m1}/members?limit=1`);
  expect(first.status).toBe(200);
  expect(first.body.members).toHaveLength(1);
  const second = await t1.get<Members>(`/v1/merchants/${m1}/members?limit=1&cursor=${first.body.nextCursor}`);
  expect(second.body.nextCursor).toBeNull();
  const all = [...first.body.members, ...second.body.members];
  const mine = all.find((m) => m.tier === 'silver')!;
  expect(mine).toMatchObject({ name: maskName(name), phone: maskPhone(phone), periodSpend: 3_000, merchants: 1 });
  const raw = JSON.stringify([first.body, second.body]);
  for (const secret of [name, phone, idNumber, shopper, other]) expect(raw).not.toContain(secret);
  expect((await t1.get(`/v1/merchants/${m1}/members/tiers`)).body).toEqual({
    tiers: [
      { tier: null, members: 1 },
      { tier: 'silver', members: 1 },
    ],
  });
  expect((await t1.get<Members>(`/v1/merchants/${m1}/members?tier=silver`)).body.members.map((m) => m.cardId)).toEqual([mine.cardId]);

  const across = await hub.get<Members>(`/v1/merchants/${district}/members`);
  expect(across.body.members).toEqual([
    expect.objectContaining({ name: maskName(name), tier: 'silver', periodSpend: 4_200, merchants: 2 }),
  ]);
  expect(JSON.stringify(across.body)).not.toContain(phone);

  // Another merchant (even of the same district), a forged signature, hostile queries.
  expect((await t2.get(`/v1/merchants/${m1}/members`)).status).toBe(403);
  expect((await t2.get(`/v1/merchants/${m1}/members/tiers`)).status).toBe(403);
  expect((await t1.get(`/v1/merchants/${district}/members`)).status).toBe(403);
  const forged = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: m1, secret: 'guessed' });
  expect((await forged.get(`/v1/merchants/${m1}/members`)).status).toBe(401);
  for (const q of ['cursor=abc', `cursor=${'1'.repeat(19)}`, 'limit=1000', 'limit=0', 'tier=NOT%20A%20TIER', `tier=${'a'.repeat(40)}`])
    expect((await t1.get(`/v1/merchants/${m1}/members?${q}`)).status).toBe(422);
  // A shopper's partner key is not a merchant's signature.
  expect((await as(shopper, 'GET', `/v1/merchants/${m1}/members`)).status).toBe(401);
});

it('expires exactly the points that are due, and a second run changes nothing', async () => {
  await closed(t1, m1, 'O3');
  const lots: Array<{ movement_key: string; available_delta: number; created_at: Date }> = await p.services.db.query(
    `SELECT movement_key, available_delta, created_at FROM points_ledger WHERE program_id = $1 AND user_id = $2 AND kind = 'release' ORDER BY id`,
    [m1, shopper],
  );
  expect(lots.map((l) => [l.movement_key, l.available_delta])).toEqual([
    [`release:${m1}/O1`, 26],
    [`release:${m1}/O3`, 4],
  ]);
  // As of the moment O1's points are 30 days old (PostgreSQL keeps microseconds, the Date milliseconds:
  // one more): they are due, O3's (released seconds later) are not.
  const asOfMs = lots[0]!.created_at.getTime() + 30 * DAY + 1;
  expect(lots[1]!.created_at.getTime()).toBeGreaterThan(lots[0]!.created_at.getTime());
  const sweep = (id: string) =>
    p.services.temporal.workflow.start('retailMembershipSweep', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: `retail-membership/test-${id}-${Date.now()}`,
      // Only this file's programmes: the acting moment is a month ahead, other files' cards stay as they are.
      args: [{ version: 1, asOfMs, programIds: [district, m1, m2, m3] } satisfies RetailMembershipSweepInput],
    });
  const run1 = await sweep('1');
  expect(await run1.result()).toMatchObject({ expiredPoints: expect.any(Number) });
  const ledger = async () =>
    p.services.db.query<Array<{ movement_key: string; kind: string; available_delta: number }>>(
      'SELECT movement_key, kind, available_delta FROM points_ledger WHERE program_id = $1 AND user_id = $2 ORDER BY id',
      [m1, shopper],
    );
  const after1 = await ledger();
  expect(after1.filter((m) => m.kind === 'expire')).toEqual([
    { movement_key: `expire:release:${m1}/O1`, kind: 'expire', available_delta: -26 },
  ]);
  expect(await pointsBalance(p.services.db, m1, shopper)).toEqual({ pending: 0, available: 4 });
  await recordHistory(run1, 'expiry-run');

  const run2 = await sweep('2');
  await run2.result();
  expect(await ledger()).toEqual(after1);
  expect(await pointsBalance(p.services.db, m1, shopper)).toEqual({ pending: 0, available: 4 });
  // m1's 30-day period had ended by then: reviewed on that period's spend (3,000), silver kept, though
  // the 30 days before that moment hold only O3 (400).
  const card: Array<{ tier: string; period_spend_minor: string; reviewed_at: Date }> = await p.services.db.query(
    'SELECT tier, period_spend_minor, reviewed_at FROM member_cards WHERE scope_id = $1 AND user_id = $2',
    [m1, shopper],
  );
  expect(card[0]).toMatchObject({ tier: 'silver', period_spend_minor: '400' });
  expect(card[0]!.reviewed_at.getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
});

it("pages the shopper's points history by cursor, and refuses bad cursors and sizes", async () => {
  const seen: Array<{ kind: string; available: number; orderRef: string | null }> = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = `/v1/users/me/points/history?program=${m1}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await as<{ movements: typeof seen; nextCursor: string | null }>(shopper, 'GET', q);
    expect(page.status).toBe(200);
    expect(page.body.movements.length).toBeLessThanOrEqual(2);
    seen.push(...page.body.movements);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  // earn O1, release O1, earn O3, release O3, expire O1: newest first.
  expect(pages).toBe(3);
  expect(seen.map((m) => [m.kind, m.orderRef])).toEqual([
    ['expire', 'O1'],
    ['release', 'O3'],
    ['earn_pending', 'O3'],
    ['release', 'O1'],
    ['earn_pending', 'O1'],
  ]);
  for (const q of ['cursor=abc', 'cursor=-1', `cursor=${'9'.repeat(40)}`, 'limit=0', 'limit=101', 'limit=x']) {
    const r = await as<{ errors?: Array<{ field: string }> }>(shopper, 'GET', `/v1/users/me/points/history?program=${m1}&${q}`);
    expect(r.status).toBe(422);
  }
  expect((await as(shopper, 'GET', '/v1/users/me/points/history')).status).toBe(422);
  // Another shopper sees only their own movements.
  expect((await as<{ movements: unknown[] }>(other, 'GET', `/v1/users/me/points/history?program=${m1}`)).body.movements).toEqual([]);
});
