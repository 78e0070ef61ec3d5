import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { SqlRunner } from './slots';

/** The `visits` rows the API writes at booking, the per-user limit counts and the orphan reaper reads back. */

/** Stages in which a visit holds a slot without having paid for it. */
export const OPEN_BOOKING_STAGES = ['holding', 'awaiting_payment'] as const;

/** A stage no workflow sets: the booking never got (or lost) its workflow and the reaper let it go. */
export const ABANDONED_STAGE = 'abandoned';

export interface NewVisitRow {
  bookingRef: string;
  institutionId: string;
  userId: string;
  partnerId: string;
  slotId: string;
  doctorId: string;
  workflowId: string;
}

const Count = z.array(z.object({ n: z.number().int() }));
const Candidate = z.object({ booking_ref: z.string(), slot_id: z.string(), workflow_id: z.string() });
export type OrphanCandidate = z.infer<typeof Candidate>;

/** The user's open bookings other than `exceptRef` (a retried booking does not count against itself). */
export async function countOpenBookings(db: SqlRunner, userId: string, exceptRef = ''): Promise<number> {
  const rows = Count.parse(
    await db.query(`SELECT count(*)::int AS n FROM visits WHERE user_id = $1 AND stage = ANY($2::text[]) AND booking_ref <> $3`, [
      userId,
      OPEN_BOOKING_STAGES,
      exceptRef,
    ]),
  );
  return rows[0]?.n ?? 0;
}

export function createVisitRepository(db: SqlRunner) {
  return {
    /** Inserts the row once; a retried booking finds its own row and carries on. */
    async insertVisit(v: NewVisitRow): Promise<void> {
      await db.query(
        `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'holding') ON CONFLICT (booking_ref) DO NOTHING`,
        [v.bookingRef, v.institutionId, v.userId, v.partnerId, v.slotId, v.doctorId, v.workflowId],
      );
    },

    /** Rows still `holding` after the grace period: either their workflow is slow to start, or it never will. */
    async holdingSince(graceSeconds: number, limit: number): Promise<OrphanCandidate[]> {
      return z.array(Candidate).parse(
        await db.query(
          `SELECT booking_ref, slot_id, workflow_id FROM visits
            WHERE stage = 'holding' AND created_at < now() - make_interval(secs => $1)
            ORDER BY created_at LIMIT $2`,
          [graceSeconds, limit],
        ),
      );
    },

    /** Marks an orphan abandoned, unless a workflow moved it on meanwhile. */
    async markAbandoned(bookingRef: string): Promise<boolean> {
      const [, affected] = z
        .tuple([z.array(z.unknown()), z.number()])
        .parse(
          await db.query(`UPDATE visits SET stage = $2, updated_at = now() WHERE booking_ref = $1 AND stage = 'holding'`, [
            bookingRef,
            ABANDONED_STAGE,
          ]),
        );
      return affected > 0;
    },
  };
}
export type VisitRepository = ReturnType<typeof createVisitRepository>;

/**
 * Records a new visit in `holding` unless the user already has `max` other open (held or unpaid)
 * bookings. The count and the insert run under a transaction-scoped advisory lock on the user, so
 * the limit holds across API processes; a retried booking finds its own row and is not refused.
 */
export async function insertVisitWithinLimit(db: DataSource, v: NewVisitRow, max: number): Promise<boolean> {
  return db.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`open-bookings:${v.userId}`]);
    if ((await countOpenBookings(m, v.userId, v.bookingRef)) >= max) return false;
    await createVisitRepository(m).insertVisit(v);
    return true;
  });
}
