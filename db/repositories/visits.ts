import { z } from 'zod';
import type { SqlRunner } from './slots';

/** The `visits` rows the API writes at booking and the orphan reaper reads back. */

export interface NewVisitRow {
  bookingRef: string;
  institutionId: string;
  userId: string;
  partnerId: string;
  slotId: string;
  doctorId: string;
  workflowId: string;
}

const Candidate = z.object({ booking_ref: z.string(), slot_id: z.string(), workflow_id: z.string() });
export type OrphanCandidate = z.infer<typeof Candidate>;

/** A stage no workflow sets: the booking never got (or lost) its workflow and the reaper let it go. */
export const ABANDONED_STAGE = 'abandoned';

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
