import { z } from 'zod';
import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';

/**
 * Transit riders and their credentials. Every rider query names the operator and the user, so a
 * partner can only reach riders of its own users (the user id came from its authenticated header).
 */
export const RiderRecord = z.object({
  id: z.string(),
  operator_id: z.string(),
  user_id: z.string(),
  rider_ref: z.string(),
  rider_category: z.string(),
  status: z.enum(['pending', 'active', 'cancelling', 'cancelled']),
  agreement_no: z.string().nullable(),
  external_agreement_no: z.string().nullable(),
  in_debt: z.boolean(),
  created_at: z.date(),
  agreement_signed_at: z.date().nullable(),
  cancel_requested_at: z.date().nullable(),
  cancelled_at: z.date().nullable(),
});
export type RiderRecord = z.infer<typeof RiderRecord>;

const COLUMNS = `id, operator_id, user_id, rider_ref, rider_category, status, agreement_no, external_agreement_no, in_debt,
  created_at, agreement_signed_at, cancel_requested_at, cancelled_at`;
const riders = (rows: unknown): RiderRecord[] => z.array(RiderRecord).parse(rows);
const updated = (result: unknown): RiderRecord[] => riders(updateResult(result).rows);

export async function findRider(db: SqlRunner, operatorId: string, userId: string): Promise<RiderRecord | undefined> {
  return riders(
    await db.query(`SELECT ${COLUMNS} FROM transit_riders WHERE operator_id = $1 AND user_id = $2::uuid`, [operatorId, userId]),
  )[0];
}

/** A new pending rider; undefined when a concurrent request enrolled the same user first. */
export async function insertPendingRider(
  db: SqlRunner,
  r: { id: string; operatorId: string; userId: string; riderRef: string; externalAgreementNo: string },
): Promise<RiderRecord | undefined> {
  return riders(
    await db.query(
      `INSERT INTO transit_riders (id, operator_id, user_id, rider_ref, status, external_agreement_no)
       VALUES ($1, $2, $3, $4, 'pending', $5)
       ON CONFLICT (operator_id, user_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [r.id, r.operatorId, r.userId, r.riderRef, r.externalAgreementNo],
    ),
  )[0];
}

/** Enrols a cancelled rider again: a new agreement to sign (an unsigned one cannot be signed twice). */
export async function reenrolRider(db: SqlRunner, riderId: string, externalAgreementNo: string): Promise<RiderRecord | undefined> {
  return updated(
    await db.query(
      `UPDATE transit_riders SET status = 'pending', external_agreement_no = $2, agreement_no = NULL, agreement_signed_at = NULL,
              cancel_requested_at = NULL, cancelled_at = NULL, updated_at = now()
        WHERE id = $1 AND status = 'cancelled'
       RETURNING ${COLUMNS}`,
      [riderId, externalAgreementNo],
    ),
  )[0];
}

/** The agreement was signed: a pending rider becomes active. Undefined when nothing was pending under that number. */
export async function activateRider(
  db: SqlRunner,
  a: { externalAgreementNo: string; agreementNo: string; signedAt: Date },
): Promise<RiderRecord | undefined> {
  return updated(
    await db.query(
      `UPDATE transit_riders SET status = 'active', agreement_no = $2, agreement_signed_at = $3, updated_at = now()
        WHERE external_agreement_no = $1 AND status = 'pending'
       RETURNING ${COLUMNS}`,
      [a.externalAgreementNo, a.agreementNo, a.signedAt],
    ),
  )[0];
}

/** The rider asked to cancel: `next` is decided by the domain rule from `from`; a concurrent change wins. */
export async function requestRiderCancel(db: SqlRunner, riderId: string, from: RiderRecord['status'], next: RiderRecord['status']) {
  return updated(
    await db.query(
      `UPDATE transit_riders
          SET status = $3, cancel_requested_at = COALESCE(cancel_requested_at, now()),
              cancelled_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE cancelled_at END, updated_at = now()
        WHERE id = $1 AND status = $2
       RETURNING ${COLUMNS}`,
      [riderId, from, next],
    ),
  )[0];
}

/** The agreement is gone at the platform (unsigned by us after settling, or by the user in the platform's app). */
export async function markAgreementEnded(db: SqlRunner, agreementNo: string): Promise<RiderRecord | undefined> {
  return updated(
    await db.query(
      `UPDATE transit_riders SET status = 'cancelled', cancelled_at = now(), cancel_requested_at = COALESCE(cancel_requested_at, now()),
              updated_at = now()
        WHERE agreement_no = $1 AND status IN ('active', 'cancelling')
       RETURNING ${COLUMNS}`,
      [agreementNo],
    ),
  )[0];
}

export async function findRiderByExternalAgreementNo(db: SqlRunner, externalAgreementNo: string): Promise<RiderRecord | undefined> {
  return riders(await db.query(`SELECT ${COLUMNS} FROM transit_riders WHERE external_agreement_no = $1`, [externalAgreementNo]))[0];
}

export async function findRiderById(db: SqlRunner, riderId: string): Promise<RiderRecord | undefined> {
  return riders(await db.query(`SELECT ${COLUMNS} FROM transit_riders WHERE id = $1`, [riderId]))[0];
}

export interface NewCredential {
  pseudonym: string;
  operatorId: string;
  riderId: string;
  keyId: string;
  devicePublicKey: string;
  validFrom: Date;
  validUntil: Date;
}

/**
 * Stores a credential only while its rider may still get one (active, not in debt) and is under
 * `maxPerDay` in the last 24 h; one statement, so a cancel or a debt landing concurrently wins.
 */
export async function insertCredentialIfAllowed(
  db: SqlRunner,
  c: NewCredential,
  maxPerDay: number,
): Promise<'stored' | 'refused' | 'limited'> {
  const rows: Array<{ outcome: string }> = await db.query(
    `WITH rider AS (
       SELECT id FROM transit_riders WHERE id = $3 AND status = 'active' AND NOT in_debt FOR UPDATE
     ), recent AS (
       SELECT count(*) AS n FROM transit_credentials WHERE rider_id = $3 AND created_at > now() - interval '24 hours'
     ), stored AS (
       INSERT INTO transit_credentials (pseudonym, operator_id, rider_id, key_id, device_public_key, valid_from, valid_until)
       SELECT $1, $2, rider.id, $4, $5, $6, $7 FROM rider, recent WHERE recent.n < $8
       RETURNING 1
     )
     SELECT CASE WHEN EXISTS (SELECT 1 FROM stored) THEN 'stored'
                 WHEN NOT EXISTS (SELECT 1 FROM rider) THEN 'refused' ELSE 'limited' END AS outcome`,
    [c.pseudonym, c.operatorId, c.riderId, c.keyId, c.devicePublicKey, c.validFrom, c.validUntil, maxPerDay],
  );
  const outcome = rows[0]?.outcome;
  return outcome === 'stored' || outcome === 'limited' ? outcome : 'refused';
}
