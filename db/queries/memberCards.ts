import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';

/**
 * Member cards as their readers see them, from PostgreSQL: a shopper's cards with their points, a
 * shopper's points history, a programme's members (with the encrypted personal fields the route masks)
 * and its tier counts. Pages run newest first by a numeric cursor (the last row's sequence).
 */

const MyCardRow = z.object({
  id: z.string(),
  scope: z.enum(['merchant', 'district']),
  scope_id: z.string(),
  joined_at: z.date(),
  joined_via: z.string(),
  tier: z.string().nullable(),
  period_spend_minor: z.coerce.number(),
  pending: z.coerce.number(),
  available: z.coerce.number(),
});

/** The shopper's cards, each with its programme's points (pending, available). */
export async function cardsOfUser(db: SqlRunner, userId: string, limit: number) {
  return z.array(MyCardRow).parse(
    await db.query(
      `SELECT c.id, c.scope, c.scope_id, c.joined_at, c.joined_via, c.tier, c.period_spend_minor,
              coalesce(p.pending, 0) AS pending, coalesce(p.available, 0) AS available
         FROM member_cards c
         LEFT JOIN LATERAL (SELECT sum(pending_delta) AS pending, sum(available_delta) AS available FROM points_ledger l
                             WHERE l.program_id = c.scope_id AND l.user_id = c.user_id) p ON true
        WHERE c.user_id = $1 ORDER BY c.seq LIMIT $2`,
      [userId, limit],
    ),
  );
}

const MovementRow = z.object({
  id: z.coerce.string(),
  kind: z.string(),
  pending_delta: z.number(),
  available_delta: z.number(),
  order_key: z.string().nullable(),
  created_at: z.date(),
});

/** A page of the shopper's movements with a programme, newest first, and the next page's cursor. */
export async function pointsPage(db: SqlRunner, f: { programId: string; userId: string; before?: string; limit: number }) {
  const rows = z.array(MovementRow).parse(
    await db.query(
      `SELECT id, kind, pending_delta, available_delta, order_key, created_at FROM points_ledger
        WHERE program_id = $1 AND user_id = $2 AND ($3::bigint IS NULL OR id < $3::bigint)
        ORDER BY id DESC LIMIT $4`,
      [f.programId, f.userId, f.before ?? null, f.limit + 1],
    ),
  );
  const page = rows.slice(0, f.limit);
  return { movements: page, nextCursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}

const MemberRow = z.object({
  id: z.string(),
  seq: z.coerce.string(),
  joined_at: z.date(),
  joined_via: z.string(),
  tier: z.string().nullable(),
  period_spend_minor: z.coerce.number(),
  legal_name_enc: z.string(),
  phone_enc: z.string(),
  merchants: z.coerce.number(),
});

/**
 * A page of a programme's members, newest first. `merchants` counts the merchants the member's
 * spend on this card came from (one for a merchant's card; the district's merchants they bought at).
 */
export async function membersPage(db: SqlRunner, f: { scopeId: string; before?: string; limit: number; tier?: string }) {
  const rows = z.array(MemberRow).parse(
    await db.query(
      `SELECT c.id, c.seq, c.joined_at, c.joined_via, c.tier, c.period_spend_minor, u.legal_name_enc, u.phone_enc,
              (SELECT count(DISTINCT s.merchant_id) FROM member_card_spend s WHERE s.card_id = c.id) AS merchants
         FROM member_cards c JOIN users u ON u.id = c.user_id
        WHERE c.scope_id = $1 AND ($2::bigint IS NULL OR c.seq < $2::bigint) AND ($3::text IS NULL OR c.tier = $3)
        ORDER BY c.seq DESC LIMIT $4`,
      [f.scopeId, f.before ?? null, f.tier ?? null, f.limit + 1],
    ),
  );
  const page = rows.slice(0, f.limit);
  return { members: page, nextCursor: rows.length > f.limit ? (page.at(-1)?.seq ?? null) : null };
}

/** Members by tier (null: below every threshold). */
export async function tierCounts(db: SqlRunner, scopeId: string): Promise<Array<{ tier: string | null; members: number }>> {
  return z
    .array(z.object({ tier: z.string().nullable(), members: z.coerce.number() }))
    .parse(
      await db.query('SELECT tier, count(*) AS members FROM member_cards WHERE scope_id = $1 GROUP BY tier ORDER BY tier NULLS FIRST', [
        scopeId,
      ]),
    );
}
