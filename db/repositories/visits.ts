import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { SqlRunner } from './slots';

/** Stages in which a visit holds a slot without having paid for it. */
export const OPEN_BOOKING_STAGES = ['holding', 'awaiting_payment'] as const;

export interface NewVisit {
  bookingRef: string;
  institutionId: string;
  userId: string;
  partnerId: string;
  slotId: string;
  doctorId: string;
  workflowId: string;
}

const Count = z.array(z.object({ n: z.number().int() }));

export async function countOpenBookings(db: SqlRunner, userId: string): Promise<number> {
  const rows = Count.parse(
    await db.query(`SELECT count(*)::int AS n FROM visits WHERE user_id = $1 AND stage = ANY($2::text[])`, [userId, OPEN_BOOKING_STAGES]),
  );
  return rows[0]?.n ?? 0;
}

/**
 * Records a new visit in `holding` unless the user already has `max` open (held or unpaid) bookings.
 * The count and the insert run under a transaction-scoped advisory lock on the user, so the limit
 * holds across API processes: two concurrent bookings of one user are counted one after the other.
 */
export async function insertVisitWithinLimit(db: DataSource, v: NewVisit, max: number): Promise<boolean> {
  return db.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`open-bookings:${v.userId}`]);
    if ((await countOpenBookings(m, v.userId)) >= max) return false;
    await m.query(
      `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'holding')`,
      [v.bookingRef, v.institutionId, v.userId, v.partnerId, v.slotId, v.doctorId, v.workflowId],
    );
    return true;
  });
}
