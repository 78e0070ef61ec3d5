import { z } from 'zod';
import type { DataSource } from 'typeorm';
import type { NamedCheck } from '../../domain/retail/onboarding';
import { updateResult } from '../updateResult';
import type { SqlRunner } from './slots';

/**
 * Writes of merchant applications (migration 1767200000000). PII columns hold ciphertext only
 * (PiiCipher); the reads the API shows go through db/queries/merchantApplications.ts.
 */
export interface NewApplication {
  id: string;
  requestId: string;
  requestHash: string;
  submittedBy: string;
  uscc: string;
  repNameEnc: string;
  repIdNumberEnc: string;
  settlementAccountEnc: string;
  districtId: string | null;
  storeName: string;
  timeZone: string;
  tokenHash: string;
  tokenEnc: string;
}

const Stored = z.object({ id: z.string(), request_hash: z.string(), token_enc: z.string() });
export type StoredApplication = z.infer<typeof Stored> & { created: boolean };

/** Inserts the application, or finds the one already made with this request id (the caller compares the hashes). */
export async function insertApplication(db: SqlRunner, a: NewApplication): Promise<StoredApplication> {
  const inserted = z.array(Stored).parse(
    await db.query(
      `INSERT INTO merchant_applications (id, request_id, request_hash, submitted_by, uscc, rep_name_enc, rep_id_number_enc,
         settlement_account_enc, district_id, store_name, time_zone, token_hash, token_enc, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'checking')
       ON CONFLICT (request_id) DO NOTHING
       RETURNING id, request_hash, token_enc`,
      [
        a.id,
        a.requestId,
        a.requestHash,
        a.submittedBy,
        a.uscc,
        a.repNameEnc,
        a.repIdNumberEnc,
        a.settlementAccountEnc,
        a.districtId,
        a.storeName,
        a.timeZone,
        a.tokenHash,
        a.tokenEnc,
      ],
    ),
  )[0];
  if (inserted) return { ...inserted, created: true };
  const existing = z
    .array(Stored)
    .parse(await db.query('SELECT id, request_hash, token_enc FROM merchant_applications WHERE request_id = $1', [a.requestId]))[0];
  if (!existing) throw new Error('merchant application vanished between insert and read');
  return { ...existing, created: false };
}

const Facts = z.object({
  uscc: z.string(),
  rep_name_enc: z.string(),
  rep_id_number_enc: z.string(),
  district_id: z.string().nullable(),
  store_name: z.string(),
  time_zone: z.string(),
  status: z.string(),
  merchant_id: z.string().nullable(),
});
export type ApplicationFacts = z.infer<typeof Facts>;

/** What the checks need (ciphertext: the activity decrypts only what it sends to a counterpart). */
export async function applicationFacts(db: SqlRunner, id: string): Promise<ApplicationFacts | undefined> {
  return z.array(Facts).parse(
    await db.query(
      `SELECT uscc, rep_name_enc, rep_id_number_enc, district_id, store_name, time_zone, status, merchant_id
           FROM merchant_applications WHERE id = $1`,
      [id],
    ),
  )[0];
}

export const TERMINAL = ['active', 'rejected', 'expired'] as const;

/** Moves the read model on; a terminal status is never left (a retried activity after the end changes nothing). */
export async function setApplicationStatus(
  db: SqlRunner,
  id: string,
  s: {
    status: 'checking' | 'review' | 'approved' | 'rejected' | 'expired';
    failed?: NamedCheck[];
    reviewReasons?: NamedCheck[];
    reason?: string | null;
    reviewedBy?: string | null;
  },
): Promise<void> {
  const terminal = s.status === 'rejected' || s.status === 'expired';
  await db.query(
    `UPDATE merchant_applications
        SET status = $2,
            failed_checks = COALESCE($3::jsonb, failed_checks),
            review_reasons = COALESCE($4::jsonb, review_reasons),
            reason = COALESCE($5, reason),
            reviewed_by = COALESCE($6, reviewed_by),
            decided_at = CASE WHEN $7 THEN now() ELSE decided_at END,
            updated_at = now()
      WHERE id = $1 AND status NOT IN ('active', 'rejected', 'expired')`,
    [
      id,
      s.status,
      s.failed ? JSON.stringify(s.failed) : null,
      s.reviewReasons ? JSON.stringify(s.reviewReasons) : null,
      s.reason ?? null,
      s.reviewedBy ?? null,
      terminal,
    ],
  );
}

/**
 * Records the merchant id and its encrypted HMAC secret once; a retry finds them and keeps them
 * (the secret it generated is dropped). Answers the merchant id that holds.
 */
export async function recordCredentials(db: SqlRunner, id: string, merchantId: string, secretEnc: string): Promise<string> {
  await db.query(
    `UPDATE merchant_applications SET merchant_id = $2, hmac_secret_enc = $3, updated_at = now()
      WHERE id = $1 AND merchant_id IS NULL`,
    [id, merchantId, secretEnc],
  );
  const rows = z
    .array(z.object({ merchant_id: z.string().nullable() }))
    .parse(await db.query('SELECT merchant_id FROM merchant_applications WHERE id = $1', [id]));
  const held = rows[0]?.merchant_id;
  if (!held) throw new Error(`merchant application ${id} has no merchant after issuing credentials`);
  return held;
}

/**
 * Opens the store in one transaction: the merchant becomes an institution (kind `merchant`, signing
 * with the issued secret, its district in its retail settings) and the application turns `active`.
 * The institution row is also what opens the merchant's service window: announcements and receipts
 * are sent by institutions, and users mute them per institution.
 */
export async function activateMerchant(db: DataSource, id: string): Promise<string> {
  return db.transaction(async (tx) => {
    const row = z
      .array(
        z.object({
          merchant_id: z.string().nullable(),
          hmac_secret_enc: z.string().nullable(),
          store_name: z.string(),
          time_zone: z.string(),
          district_id: z.string().nullable(),
          status: z.string(),
        }),
      )
      .parse(
        await tx.query(
          `SELECT merchant_id, hmac_secret_enc, store_name, time_zone, district_id, status FROM merchant_applications WHERE id = $1 FOR UPDATE`,
          [id],
        ),
      )[0];
    if (!row?.merchant_id) throw new Error(`merchant application ${id} has no credentials yet`);
    if (row.status === 'active') return row.merchant_id;
    if (!row.hmac_secret_enc) throw new Error(`merchant application ${id} lost its secret before activation`);
    await tx.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'merchant', $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING`,
      [
        row.merchant_id,
        row.store_name,
        row.time_zone,
        row.hmac_secret_enc,
        JSON.stringify({ retail: row.district_id ? { districtId: row.district_id } : {}, onboarding: { applicationId: id } }),
      ],
    );
    await tx.query(
      `UPDATE merchant_applications SET status = 'active', decided_at = now(), updated_at = now()
        WHERE id = $1 AND status NOT IN ('active', 'rejected', 'expired')`,
      [id],
    );
    return row.merchant_id;
  });
}

/**
 * Hands the secret over once: the first call with the right token on an active application gets it
 * (and the application's copy is wiped); every later call gets nothing.
 */
export async function collectCredentials(db: SqlRunner, id: string): Promise<{ merchantId: string; secretEnc: string } | undefined> {
  const rows = z.array(z.object({ merchant_id: z.string(), secret_enc: z.string() })).parse(
    updateResult(
      await db.query(
        `UPDATE merchant_applications a SET credentials_collected_at = now(), hmac_secret_enc = NULL, updated_at = now()
         FROM merchant_applications old
        WHERE a.id = $1 AND old.id = a.id AND a.status = 'active' AND a.credentials_collected_at IS NULL AND old.hmac_secret_enc IS NOT NULL
        RETURNING a.merchant_id, old.hmac_secret_enc AS secret_enc`,
        [id],
      ),
    ).rows,
  );
  const r = rows[0];
  return r ? { merchantId: r.merchant_id, secretEnc: r.secret_enc } : undefined;
}
