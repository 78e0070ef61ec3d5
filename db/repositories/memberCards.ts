import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { DEFAULT_MEMBERSHIP, MembershipSettings, tierPolicyOf } from '../../domain/retail/membershipSettings';
import { reviewDueBeforeMs, spendNeededFromMs, tierState } from '../../domain/retail/tiers';
import type { SqlRunner } from './slots';

/**
 * Member cards: a shopper's membership of a merchant or a district. A card is made when the shopper
 * joins or at their first paid order there; each order's net spend is one row per card, and the
 * card's period spend and tier are recomputed from those rows (domain/retail/tiers.ts) under the
 * card's row lock whenever they change, so concurrent orders never lose an update.
 */

export interface Programme {
  id: string;
  kind: 'merchant' | 'district';
  timeZone: string;
  districtId: string | null;
  membership: MembershipSettings;
  /** Its points rate when its settings name one (a district without one gives no points of its own). */
  pointsPerMajor: number | null;
}

const ProgrammeRow = z.object({
  id: z.string(),
  kind: z.enum(['merchant', 'district']),
  time_zone: z.string(),
  settings: z
    .object({
      retail: z
        .object({
          districtId: z.string().optional(),
          membership: MembershipSettings.default(DEFAULT_MEMBERSHIP),
          pointsPerMajor: z.number().min(0).max(100).optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
});

export async function readProgramme(db: SqlRunner, id: string): Promise<Programme | undefined> {
  const row = z
    .array(ProgrammeRow)
    .parse(
      await db.query(`SELECT id, kind, time_zone, settings FROM institutions WHERE id = $1 AND kind IN ('merchant', 'district')`, [id]),
    )[0];
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    timeZone: row.time_zone,
    districtId: row.kind === 'merchant' ? (row.settings.retail?.districtId ?? null) : null,
    membership: row.settings.retail?.membership ?? DEFAULT_MEMBERSHIP,
    pointsPerMajor: row.settings.retail?.pointsPerMajor ?? null,
  };
}

export const CardRow = z.object({
  id: z.string(),
  seq: z.coerce.string(),
  user_id: z.string(),
  scope: z.enum(['merchant', 'district']),
  scope_id: z.string(),
  joined_at: z.date(),
  joined_via: z.enum(['shopper', 'first_order']),
  tier: z.string().nullable(),
  period_spend_minor: z.coerce.number(),
  reviewed_at: z.date(),
});
export type CardRow = z.infer<typeof CardRow>;
const CARD_COLUMNS = 'id, seq, user_id, scope, scope_id, joined_at, joined_via, tier, period_spend_minor, reviewed_at';

/** The shopper's card with the programme, made if absent (`created` says which). */
export async function joinCard(
  db: SqlRunner,
  m: { userId: string; programme: Programme; via: 'shopper' | 'first_order'; atMs: number },
): Promise<{ card: CardRow; created: boolean }> {
  // Joined (and first reviewed) on the same clock as the order's spend, so the first period holds it.
  const made: unknown[] = await db.query(
    `INSERT INTO member_cards (id, user_id, scope, scope_id, joined_via, joined_at, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (scope_id, user_id) DO NOTHING RETURNING id`,
    [randomUUID(), m.userId, m.programme.kind, m.programme.id, m.via, new Date(m.atMs)],
  );
  const card = z
    .array(CardRow)
    .parse(await db.query(`SELECT ${CARD_COLUMNS} FROM member_cards WHERE scope_id = $1 AND user_id = $2`, [m.programme.id, m.userId]))[0];
  if (!card) throw new Error('member card vanished after its insert');
  return { card, created: made.length > 0 };
}

/** Recomputes a card's period spend and tier at `nowMs` (a due review first), under its row lock. */
export async function refreshCard(db: DataSource, cardId: string, programme: Programme, nowMs: number): Promise<CardRow | undefined> {
  return db.transaction(async (tx: EntityManager) => {
    const card = z.array(CardRow).parse(await tx.query(`SELECT ${CARD_COLUMNS} FROM member_cards WHERE id = $1 FOR UPDATE`, [cardId]))[0];
    if (!card) return undefined;
    const policy = tierPolicyOf(programme.membership);
    const before = { tier: card.tier, reviewedAtMs: card.reviewed_at.getTime() };
    const from = spendNeededFromMs(policy, before, nowMs, programme.timeZone);
    const entries: Array<{ paid_at: Date; amount_minor: string }> = await tx.query(
      'SELECT paid_at, amount_minor FROM member_card_spend WHERE card_id = $1 AND paid_at >= $2',
      [cardId, new Date(from)],
    );
    const next = tierState(
      policy,
      programme.timeZone,
      before,
      entries.map((e) => ({ atMs: e.paid_at.getTime(), amountMinor: Number(e.amount_minor) })),
      nowMs,
    );
    await tx.query('UPDATE member_cards SET tier = $2, period_spend_minor = $3, reviewed_at = $4, updated_at = now() WHERE id = $1', [
      cardId,
      next.tier,
      next.periodSpendMinor,
      new Date(next.reviewedAtMs),
    ]);
    return { ...card, tier: next.tier, period_spend_minor: next.periodSpendMinor, reviewed_at: new Date(next.reviewedAtMs) };
  });
}

/**
 * A member's order as it now stands (paid, net of refunds) on their cards at the merchant and its
 * district, making the cards at the first paid order. Keyed by the order and guarded by the view's
 * seq, so a retried or late write never counts twice nor undoes a newer figure. Answers the
 * merchant's district programme, if it has one (its points follow the same order).
 */
export async function recordOrderSpend(
  db: DataSource,
  o: { merchantId: string; orderRef: string; userId: string; netMinor: number; seq: number; nowMs: number },
): Promise<Programme | undefined> {
  const merchant = await readProgramme(db, o.merchantId);
  if (merchant?.kind !== 'merchant') return undefined;
  const district = merchant.districtId ? await readProgramme(db, merchant.districtId) : undefined;
  for (const programme of district?.kind === 'district' ? [merchant, district] : [merchant]) {
    const { card } = await joinCard(db, { userId: o.userId, programme, via: 'first_order', atMs: o.nowMs });
    await db.query(
      `INSERT INTO member_card_spend AS s (card_id, order_key, merchant_id, amount_minor, seq, paid_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (card_id, order_key) DO UPDATE SET amount_minor = EXCLUDED.amount_minor, seq = EXCLUDED.seq
       WHERE s.seq < EXCLUDED.seq`,
      [card.id, `${o.merchantId}/${o.orderRef}`, o.merchantId, Math.max(0, o.netMinor), o.seq, new Date(o.nowMs)],
    );
    await refreshCard(db, card.id, programme, o.nowMs);
  }
  return district?.kind === 'district' ? district : undefined;
}

/**
 * What the membership sweep visits: programmes with membership settings (expiry, tiers) and any
 * programme holding cards (a review there brings a period's spend up to date, tiers or not).
 */
export async function programmesForSweep(db: SqlRunner): Promise<Programme[]> {
  const rows: Array<{ id: string }> = await db.query(
    `SELECT id FROM institutions WHERE kind IN ('merchant', 'district') AND settings->'retail' ? 'membership'
     UNION SELECT DISTINCT scope_id FROM member_cards ORDER BY id`,
  );
  const out: Programme[] = [];
  for (const r of rows) {
    const p = await readProgramme(db, r.id);
    if (p) out.push(p);
  }
  return out;
}

/** Cards of the programme whose review is due at `nowMs`, oldest review first. */
export async function cardsDueReview(db: SqlRunner, programme: Programme, nowMs: number, limit: number): Promise<string[]> {
  const before = reviewDueBeforeMs(programme.membership.period, nowMs, programme.timeZone);
  const rows: Array<{ id: string }> = await db.query(
    'SELECT id FROM member_cards WHERE scope_id = $1 AND reviewed_at < $2 ORDER BY reviewed_at, seq LIMIT $3',
    [programme.id, new Date(before), limit],
  );
  return rows.map((r) => r.id);
}
