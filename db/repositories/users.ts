import { z } from 'zod';
import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';

/**
 * Users are per partner app: every query here is scoped to one partner, so nothing a partner does
 * can read, match or reveal another partner's users.
 */
export const UserRecord = z.object({
  id: z.string(),
  partner_id: z.string(),
  identity_status: z.enum(['pending', 'verified', 'rejected', 'unverified']),
  legal_name_enc: z.string(),
  legal_name_hash: z.string().nullable(),
  id_number_enc: z.string(),
  phone_enc: z.string(),
  phone_hash: z.string(),
  user_ref: z.string(),
});
export type UserRecord = z.infer<typeof UserRecord>;

const COLUMNS = 'id, partner_id, identity_status, legal_name_enc, legal_name_hash, id_number_enc, phone_enc, phone_hash, user_ref';

export interface NewUser {
  id: string;
  partnerId: string;
  idNumberHash: string;
  idNumberEnc: string;
  legalNameEnc: string;
  legalNameHash: string;
  phoneEnc: string;
  phoneHash: string;
  userRef: string;
  birthYear: number;
  sex: 'M' | 'F';
  provinceCode: string;
}

const parseRows = (rows: unknown): UserRecord[] => z.array(UserRecord).parse(rows);

export async function findPartnerUserByIdNumber(db: SqlRunner, partnerId: string, idNumberHash: string): Promise<UserRecord | undefined> {
  return parseRows(
    await db.query(`SELECT ${COLUMNS} FROM users WHERE partner_id = $1 AND id_number_hash = $2`, [partnerId, idNumberHash]),
  )[0];
}

export async function findPartnerUser(db: SqlRunner, partnerId: string, userId: string): Promise<UserRecord | undefined> {
  return parseRows(await db.query(`SELECT ${COLUMNS} FROM users WHERE partner_id = $1 AND id = $2::uuid`, [partnerId, userId]))[0];
}

/** Inserts a pending user; undefined when the partner already has a record for this ID number (a concurrent registration). */
export async function insertPendingUser(db: SqlRunner, u: NewUser): Promise<UserRecord | undefined> {
  const rows: unknown = await db.query(
    `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, legal_name_hash, phone_enc, phone_hash, user_ref,
                        identity_status, birth_year, sex, province_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12)
     ON CONFLICT (partner_id, id_number_hash) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      u.id,
      u.partnerId,
      u.idNumberHash,
      u.idNumberEnc,
      u.legalNameEnc,
      u.legalNameHash,
      u.phoneEnc,
      u.phoneHash,
      u.userRef,
      u.birthYear,
      u.sex,
      u.provinceCode,
    ],
  );
  return parseRows(rows)[0];
}

/**
 * A rejected record starts over as a new pending user: new details, and a NEW user id and user ref,
 * so whoever held the rejected id (perhaps someone who typed another person's number) never ends
 * up holding the account once it is verified. A rejected user cannot have booked anything.
 */
export async function restartRejectedUser(db: SqlRunner, oldId: string, u: NewUser): Promise<UserRecord | undefined> {
  const { rows } = updateResult(
    await db.query(
      `UPDATE users SET id = $2, user_ref = $3, legal_name_enc = $4, legal_name_hash = $5, phone_enc = $6, phone_hash = $7,
              id_number_enc = $8, identity_status = 'pending', identity_reason = NULL, verified_at = NULL, created_at = now()
        WHERE id = $1 AND partner_id = $9 AND identity_status = 'rejected'
        RETURNING ${COLUMNS}`,
      [oldId, u.id, u.userRef, u.legalNameEnc, u.legalNameHash, u.phoneEnc, u.phoneHash, u.idNumberEnc, u.partnerId],
    ),
  );
  return parseRows(rows)[0];
}
