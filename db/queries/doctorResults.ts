import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';

const Row = z.object({
  booking_ref: z.string(),
  order_id: z.string(),
  abnormal: z.boolean(),
  received_at: z.date(),
  results_enc: z.string(),
  legal_name_enc: z.string(),
  visit_institution_id: z.string(),
  via: z.enum(['own', 'grant']),
  grant_expires_at: z.date().nullable(),
});
export type DoctorResultRow = z.infer<typeof Row>;

/**
 * The results a doctor may see: those of visits to them at their hospital, and those a patient shared
 * with them by a grant that is live now (checked here, in the same query, on every read).
 */
export async function resultsForDoctor(
  db: SqlRunner,
  q: { institutionId: string; doctorId: string; bookingRef?: string; limit: number },
): Promise<DoctorResultRow[]> {
  return z.array(Row).parse(
    await db.query(
      `WITH live AS (
         -- A visit shared twice with the same doctor is shown once, until the later grant ends.
         SELECT booking_ref, max(expires_at) AS expires_at FROM result_shares
          WHERE institution_id = $1 AND doctor_id = $2 AND revoked_at IS NULL AND expires_at > now()
          GROUP BY booking_ref)
       SELECT * FROM (
         SELECT r.booking_ref, r.order_id, r.abnormal, r.received_at, r.results_enc, u.legal_name_enc, v.institution_id AS visit_institution_id,
                'own' AS via, NULL::timestamptz AS grant_expires_at
           FROM visits v JOIN visit_results r ON r.booking_ref = v.booking_ref JOIN users u ON u.id = v.user_id
          WHERE v.institution_id = $1 AND v.doctor_id = $2
         UNION ALL
         SELECT r.booking_ref, r.order_id, r.abnormal, r.received_at, r.results_enc, u.legal_name_enc, v.institution_id,
                'grant', s.expires_at
           FROM live s JOIN visits v ON v.booking_ref = s.booking_ref JOIN visit_results r ON r.booking_ref = s.booking_ref
           JOIN users u ON u.id = v.user_id
          -- Grants go only to another hospital's doctors (the route refuses the visit's own), so no row is both.
          WHERE v.institution_id <> $1
       ) x
       WHERE ($3::text IS NULL OR x.booking_ref = $3)
       ORDER BY x.received_at DESC, x.booking_ref, x.order_id LIMIT $4`,
      [q.institutionId, q.doctorId, q.bookingRef ?? null, q.limit],
    ),
  );
}

export async function doctorExists(db: SqlRunner, institutionId: string, doctorId: string): Promise<boolean> {
  const rows: unknown[] = await db.query('SELECT 1 FROM doctors WHERE institution_id = $1 AND id = $2', [institutionId, doctorId]);
  return rows.length > 0;
}
