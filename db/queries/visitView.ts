import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { OrderShape, RegistrationShape, type VisitStatus } from '../../workflows/hospital/visit/types';
import { OWN_VISIT_COLUMNS, OWN_VISIT_FROM, OWN_VISIT_WHERE, parseOwnVisit, type OwnVisit } from './partnerVisits';

/**
 * The seq of a row copied by the backfill from a workflow that never publishes (started before the read
 * model): below the API's 0 at booking and every seq a workflow writes, so anything published wins.
 */
export const BACKFILLED_SEQ = -1;

/** The NOTIFY channel of visit projection changes; the payload is the booking ref (no personal data). */
export const VISIT_VIEW_CHANNEL = 'visit_views';

/**
 * The visit projection, parsed at the boundary. Only the fields a partner read needs are checked
 * strictly; the snapshot was written by the workflow through `projectVisit`.
 */
const VisitStatusRow = z.object({
  bookingRef: z.string(),
  institutionId: z.string(),
  stage: z.string(),
  slotStartMs: z.number().int(),
  amountDueMinor: z.number().int(),
  currency: z.string(),
  registration: RegistrationShape,
  queue: z.object({ position: z.number().int().nullable(), etaMinutes: z.number().nullable(), calledAt: z.string().nullable() }),
  orders: z.array(OrderShape),
  resultOrderIds: z.array(z.string()),
  notices: z.array(z.object({ kind: z.string(), atMs: z.number() })),
  failureReason: z.string().optional(),
});

const Row = z.object({ status: VisitStatusRow, seq: z.coerce.number().int() });
export type VisitView = { status: VisitStatus; seq: number };

/**
 * Writes a visit's snapshot unless a newer one (higher seq) is stored, and notifies listeners in the
 * same statement, so a listener that hears the ref always reads at least this write. Returns whether
 * the row changed.
 */
export async function upsertVisitView(db: Pick<DataSource, 'query'>, v: { status: VisitStatus; seq: number }): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH up AS (
       INSERT INTO visit_views (booking_ref, institution_id, stage, status, seq, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, now())
       ON CONFLICT (booking_ref) DO UPDATE
         SET institution_id = EXCLUDED.institution_id, stage = EXCLUDED.stage, status = EXCLUDED.status,
             seq = EXCLUDED.seq, updated_at = now()
         WHERE visit_views.seq < EXCLUDED.seq
       RETURNING booking_ref)
     SELECT pg_notify('${VISIT_VIEW_CHANNEL}', booking_ref) FROM up`,
    [v.status.bookingRef, v.status.institutionId, v.status.stage, JSON.stringify(v.status), v.seq],
  );
  return rows.length > 0;
}

/** The projection of one visit, or null when none was written yet. Ownership is checked by the caller. */
export async function readVisitView(db: DataSource, bookingRef: string): Promise<VisitView | null> {
  const rows: unknown[] = await db.query('SELECT status, seq FROM visit_views WHERE booking_ref = $1', [bookingRef]);
  if (!rows[0]) return null;
  const row = Row.parse(rows[0]);
  return { status: row.status as VisitStatus, seq: row.seq };
}

/**
 * A user's own visit and its projection in one round trip (the partner read `GET /v1/visits/:ref`):
 * null when the visit is not theirs; `view` null when no projection was written yet.
 */
export async function readOwnVisitView(
  db: DataSource,
  bookingRef: string,
  userId: string,
): Promise<{ visit: OwnVisit; view: VisitView | null } | null> {
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT ${OWN_VISIT_COLUMNS}, vv.status AS view_status, vv.seq AS view_seq
       FROM ${OWN_VISIT_FROM} LEFT JOIN visit_views vv ON vv.booking_ref = v.booking_ref
      WHERE ${OWN_VISIT_WHERE}`,
    [bookingRef, userId],
  );
  const row = rows[0];
  if (!row) return null;
  const visit = parseOwnVisit(row);
  if (row.view_status === null || row.view_status === undefined) return { visit, view: null };
  const view = Row.parse({ status: row.view_status, seq: row.view_seq });
  return { visit, view: { status: view.status as VisitStatus, seq: view.seq } };
}
