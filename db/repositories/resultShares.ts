import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { mayGrantAnother } from '../../domain/hospital/resultShares';
import type { SqlRunner } from './slots';

const ShareRow = z.object({
  id: z.string(),
  booking_ref: z.string(),
  institution_id: z.string(),
  doctor_id: z.string(),
  expires_at: z.date(),
  revoked_at: z.date().nullable(),
  created_at: z.date(),
});
export type ShareRow = z.infer<typeof ShareRow>;
const COLUMNS = 'id, booking_ref, institution_id, doctor_id, expires_at, revoked_at, created_at';

/**
 * Records a grant unless the visit holds as many live grants as it may. The count and the insert run
 * under a per-visit lock so two API processes cannot both take the last place.
 */
export async function createShare(
  db: DataSource,
  s: { bookingRef: string; userId: string; institutionId: string; doctorId: string; expiresAt: Date },
): Promise<{ kind: 'created'; share: ShareRow } | { kind: 'too_many' }> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('result_shares:' || $1))`, [s.bookingRef]);
    const [live] = z
      .array(z.object({ n: z.number().int() }))
      .parse(
        await tx.query(
          'SELECT count(*)::int AS n FROM result_shares WHERE booking_ref = $1 AND revoked_at IS NULL AND expires_at > now()',
          [s.bookingRef],
        ),
      );
    if (!mayGrantAnother(live?.n ?? 0)) return { kind: 'too_many' };
    const rows: unknown = await tx.query(
      `INSERT INTO result_shares (id, booking_ref, user_id, institution_id, doctor_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [randomUUID(), s.bookingRef, s.userId, s.institutionId, s.doctorId, s.expiresAt],
    );
    return { kind: 'created', share: z.array(ShareRow).parse(rows)[0]! };
  });
}

export async function listShares(db: SqlRunner, bookingRef: string, userId: string): Promise<ShareRow[]> {
  return z
    .array(ShareRow)
    .parse(
      await db.query(`SELECT ${COLUMNS} FROM result_shares WHERE booking_ref = $1 AND user_id = $2 ORDER BY created_at DESC`, [
        bookingRef,
        userId,
      ]),
    );
}

/** Revokes the patient's grant (again is fine); undefined when it is not theirs. */
export async function revokeShare(
  db: SqlRunner,
  s: { bookingRef: string; userId: string; shareId: string; at: Date },
): Promise<ShareRow | undefined> {
  await db.query(`UPDATE result_shares SET revoked_at = $4 WHERE id = $1 AND booking_ref = $2 AND user_id = $3 AND revoked_at IS NULL`, [
    s.shareId,
    s.bookingRef,
    s.userId,
    s.at,
  ]);
  return z
    .array(ShareRow)
    .parse(
      await db.query(`SELECT ${COLUMNS} FROM result_shares WHERE id = $1 AND booking_ref = $2 AND user_id = $3`, [
        s.shareId,
        s.bookingRef,
        s.userId,
      ]),
    )[0];
}
