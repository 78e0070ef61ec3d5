import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';
import type { VisitStatus } from '../../workflows/hospital/visit/types';

/**
 * The visit read model: written by the visit workflow's `projectVisit` activity, read by the partner
 * routes. The one place that knows the `visit_views` table.
 */

export interface VisitSnapshot {
  bookingRef: string;
  institutionId: string;
  /** Per visit, growing with every publish. */
  seq: number;
  status: VisitStatus;
}

/** Stores the snapshot unless a newer one (higher seq) is already there; says whether it was stored. */
export async function upsertVisitView(db: SqlRunner, s: VisitSnapshot): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH u AS (
       INSERT INTO visit_views (booking_ref, institution_id, seq, status, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (booking_ref) DO UPDATE SET seq = EXCLUDED.seq, status = EXCLUDED.status, updated_at = now()
       WHERE visit_views.seq < EXCLUDED.seq
       RETURNING 1)
     SELECT count(*)::int AS n FROM u`,
    [s.bookingRef, s.institutionId, s.seq, JSON.stringify(s.status)],
  );
  return z.array(z.object({ n: z.number().int() })).parse(rows)[0]?.n === 1;
}

const ViewRow = z.object({ seq: z.coerce.number().int(), status: z.record(z.string(), z.unknown()) });

/** The visit's last published status, or undefined when its workflow has not published one yet. */
export async function readVisitView(db: SqlRunner, bookingRef: string): Promise<{ seq: number; status: VisitStatus } | undefined> {
  const rows: unknown[] = await db.query('SELECT seq, status FROM visit_views WHERE booking_ref = $1', [bookingRef]);
  if (rows[0] === undefined) return undefined;
  const row = ViewRow.parse(rows[0]);
  // Written only by projectVisit from the workflow's own VisitStatus.
  return { seq: row.seq, status: row.status as unknown as VisitStatus };
}
