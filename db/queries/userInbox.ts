import { z } from 'zod';
import { MARKETING_NOTICE_KINDS } from '../../domain/notices/classes';
import type { SqlRunner } from '../repositories/slots';
import { updateResult } from '../updateResult';

/**
 * A user's notices (the service-window inbox) and their journeys, read from PostgreSQL. Notices hold
 * ids, times and amounts only; the partner app (or the message catalogue) renders the words.
 */
const NoticeRow = z.object({
  id: z.coerce.string(),
  institution_id: z.string(),
  journey_id: z.string(),
  kind: z.string(),
  key: z.string(),
  data: z.record(z.string(), z.unknown()),
  created_at: z.date(),
  read_at: z.date().nullable(),
});
export type NoticeRow = z.infer<typeof NoticeRow>;

/** The user's notice channel: the AFTER INSERT trigger on `notifications` announces the user's ref. */
export const USER_NOTICE_CHANNEL = 'user_notices';

/**
 * Hides marketing notices from institutions the user muted (essential ones always show). `$k` is the
 * parameter holding the marketing kinds, from domain/notices/classes.ts.
 */
const unmuted = (k: number) =>
  `NOT (n.kind = ANY($${k}::text[]) AND EXISTS (SELECT 1 FROM notice_mutes m WHERE m.user_ref = n.user_ref AND m.institution_id = n.institution_id))`;
const MARKETING = [...MARKETING_NOTICE_KINDS];

export interface NoticeFilter {
  userRef: string;
  /** Notices older than this id (the previous page's cursor). */
  before?: string;
  limit: number;
  institutionId?: string;
  kind?: string;
  unreadOnly?: boolean;
}

/** A page, newest first, and the cursor of the next page (null at the end). */
export async function listNotices(db: SqlRunner, f: NoticeFilter): Promise<{ notices: NoticeRow[]; nextCursor: string | null }> {
  const rows = z.array(NoticeRow).parse(
    await db.query(
      `SELECT id, institution_id, journey_id, kind, key, data, created_at, read_at FROM notifications n
        WHERE user_ref = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
          AND ($3::text IS NULL OR institution_id = $3) AND ($4::text IS NULL OR kind = $4) AND (NOT $5 OR read_at IS NULL)
          AND ${unmuted(7)}
        ORDER BY id DESC LIMIT $6`,
      [f.userRef, f.before ?? null, f.institutionId ?? null, f.kind ?? null, f.unreadOnly ?? false, f.limit + 1, MARKETING],
    ),
  );
  const page = rows.slice(0, f.limit);
  return { notices: page, nextCursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}

export async function unreadCount(db: SqlRunner, userRef: string): Promise<number> {
  const rows: Array<{ n: number }> = await db.query(
    `SELECT count(*)::int AS n FROM notifications n WHERE user_ref = $1 AND read_at IS NULL AND ${unmuted(2)}`,
    [userRef, MARKETING],
  );
  return rows[0]?.n ?? 0;
}

/**
 * The user's notices after `after`, oldest first, at most `limit` (the stream's catch-up and each
 * re-read after a change hint). A user's ids become visible in order (see the NoticeStream
 * migration), so resuming after the last id sent neither skips nor repeats a notice.
 */
export async function noticesAfter(db: SqlRunner, userRef: string, after: string, limit: number): Promise<NoticeRow[]> {
  return z.array(NoticeRow).parse(
    await db.query(
      `SELECT id, institution_id, journey_id, kind, key, data, created_at, read_at FROM notifications n
        WHERE user_ref = $1 AND id > $2::bigint AND ${unmuted(4)}
        ORDER BY id LIMIT $3`,
      [userRef, after, limit, MARKETING],
    ),
  );
}

/** The user's newest notice id ('0' without any): where a stream opened without a cursor starts. */
export async function newestNoticeId(db: SqlRunner, userRef: string): Promise<string> {
  const rows: Array<{ id: string | null }> = await db.query(`SELECT max(id)::text AS id FROM notifications WHERE user_ref = $1`, [userRef]);
  return rows[0]?.id ?? '0';
}

/** Marks the user's notices read: the listed ids, or every one up to an id. Answers how many changed. */
export async function markNoticesRead(db: SqlRunner, userRef: string, m: { ids?: readonly string[]; upTo?: string }): Promise<number> {
  const rows: unknown = await db.query(
    `UPDATE notifications SET read_at = now()
      WHERE user_ref = $1 AND read_at IS NULL
        AND (($2::bigint[] IS NOT NULL AND id = ANY($2::bigint[])) OR ($3::bigint IS NOT NULL AND id <= $3::bigint))
      RETURNING id`,
    [userRef, m.ids ? [...m.ids] : null, m.upTo ?? null],
  );
  return updateResult(rows).affected;
}

const VisitRow = z.object({
  booking_ref: z.string(),
  institution_id: z.string(),
  stage: z.string(),
  status: z
    .object({
      slotStartMs: z.number(),
      amountDueMinor: z.number().int(),
      currency: z.string(),
      registration: z.object({ status: z.string() }).loose(),
      orders: z.array(z.object({ orderId: z.string(), status: z.string() }).loose()),
      resultOrderIds: z.array(z.string()),
    })
    .loose()
    .nullable(),
  created_at: z.date(),
});
export type UserVisitRow = z.infer<typeof VisitRow>;

/** The user's visits, newest booking first, with their read-model status (null before its first write). */
export async function listUserVisits(db: SqlRunner, userId: string, limit: number): Promise<UserVisitRow[]> {
  return z.array(VisitRow).parse(
    await db.query(
      `SELECT v.booking_ref, v.institution_id, coalesce(vv.stage, v.stage) AS stage, vv.status, v.created_at
         FROM visits v LEFT JOIN visit_views vv ON vv.booking_ref = v.booking_ref
        WHERE v.user_id = $1::uuid ORDER BY v.created_at DESC LIMIT $2`,
      [userId, limit],
    ),
  );
}
