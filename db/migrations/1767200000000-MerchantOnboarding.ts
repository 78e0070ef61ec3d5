import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant applications (issue 12, onboarding). One row per application: the applicant's PII
 * (the legal representative's name and ID number, the settlement account) encrypted like users'
 * PII; the application token and the request stored as keyed hashes (the token also encrypted, so a
 * repeated application is answered with the same token); and the read model the status routes show
 * (status, every failed check by name, timestamps). The HMAC secret issued on approval waits here,
 * encrypted, until the applicant collects it once; the institution row keeps its own copy.
 */
export class MerchantOnboarding1767200000000 implements MigrationInterface {
  name = 'MerchantOnboarding1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "merchant_applications" (
         "id" uuid PRIMARY KEY,
         "request_id" text NOT NULL,
         "request_hash" text NOT NULL,
         "submitted_by" text NOT NULL,
         "uscc" text NOT NULL,
         "rep_name_enc" text NOT NULL,
         "rep_id_number_enc" text NOT NULL,
         "settlement_account_enc" text NOT NULL,
         "district_id" text,
         "store_name" text NOT NULL,
         "time_zone" text NOT NULL,
         "token_hash" text NOT NULL,
         "token_enc" text NOT NULL,
         "status" text NOT NULL CHECK ("status" IN ('checking', 'review', 'approved', 'active', 'rejected', 'expired')),
         "failed_checks" jsonb NOT NULL DEFAULT '[]'::jsonb,
         "review_reasons" jsonb NOT NULL DEFAULT '[]'::jsonb,
         "reason" text,
         "reviewed_by" text,
         "merchant_id" text,
         "hmac_secret_enc" text,
         "credentials_collected_at" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         "decided_at" timestamptz,
         CONSTRAINT "UQ_merchant_applications_request" UNIQUE ("request_id"),
         CONSTRAINT "UQ_merchant_applications_merchant" UNIQUE ("merchant_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_merchant_applications_status" ON "merchant_applications" ("status", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "merchant_applications"');
  }
}
