import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';

/**
 * The merchant application read model: what the status routes show (no PII: the code of the
 * company, its store, its status with every failed check by name, and the times). Written by the
 * onboarding workflow's activities and the apply route (db/repositories/merchantApplications.ts).
 */
const NamedCheck = z.object({ check: z.string(), reason: z.string() });

const Row = z.object({
  id: z.string(),
  uscc: z.string(),
  store_name: z.string(),
  district_id: z.string().nullable(),
  status: z.enum(['checking', 'review', 'approved', 'active', 'rejected', 'expired']),
  failed_checks: z.array(NamedCheck),
  review_reasons: z.array(NamedCheck),
  reason: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  merchant_id: z.string().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
  decided_at: z.date().nullable(),
  credentials_collected_at: z.date().nullable(),
  token_hash: z.string(),
});

export interface MerchantApplicationView {
  applicationId: string;
  uscc: string;
  storeName: string;
  districtId: string | null;
  status: z.infer<typeof Row>['status'];
  failedChecks: Array<z.infer<typeof NamedCheck>>;
  reviewReasons: Array<z.infer<typeof NamedCheck>>;
  reason: string | null;
  reviewedBy: string | null;
  merchantId: string | null;
  createdAt: string;
  updatedAt: string;
  decidedAt: string | null;
  credentialsCollectedAt: string | null;
}

/** The application's view, and the hash of its token (for the applicant's routes to compare). */
export async function readMerchantApplication(
  db: SqlRunner,
  id: string,
): Promise<{ view: MerchantApplicationView; tokenHash: string } | undefined> {
  const r = z.array(Row).parse(
    await db.query(
      `SELECT id, uscc, store_name, district_id, status, failed_checks, review_reasons, reason, reviewed_by, merchant_id,
              created_at, updated_at, decided_at, credentials_collected_at, token_hash
         FROM merchant_applications WHERE id = $1`,
      [id],
    ),
  )[0];
  if (!r) return undefined;
  return {
    tokenHash: r.token_hash,
    view: {
      applicationId: r.id,
      uscc: r.uscc,
      storeName: r.store_name,
      districtId: r.district_id,
      status: r.status,
      failedChecks: r.failed_checks,
      reviewReasons: r.review_reasons,
      reason: r.reason,
      reviewedBy: r.reviewed_by,
      merchantId: r.merchant_id,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      decidedAt: r.decided_at?.toISOString() ?? null,
      credentialsCollectedAt: r.credentials_collected_at?.toISOString() ?? null,
    },
  };
}
