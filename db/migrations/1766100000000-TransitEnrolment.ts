import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Enrolment with a transit operator and the keys that sign ride credentials.
 * - `transit_riders` gains our side of the withholding agreement (`external_agreement_no`, unique,
 *   a fresh one per sign attempt) and when it was signed and when cancelling was asked.
 * - `transit_issuer_keys`: per operator, one `root` key (the gates' trust anchor, signs key sets)
 *   and `issuer` keys (sign level-1 credentials). Private keys are encrypted at rest like every
 *   secret (the PII cipher); `revision` comes from one sequence and is bumped on every change, so
 *   the highest revision of an operator's keys is its key set's version and only ever grows.
 */
export class TransitEnrolment1766100000000 implements MigrationInterface {
  name = 'TransitEnrolment1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "transit_riders"
         ADD "external_agreement_no" text,
         ADD "agreement_signed_at" timestamptz,
         ADD "cancel_requested_at" timestamptz,
         ADD "cancelled_at" timestamptz`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_transit_riders_external_agreement" ON "transit_riders" ("external_agreement_no")
        WHERE "external_agreement_no" IS NOT NULL`,
    );
    await q.query(`CREATE SEQUENCE "transit_issuer_keys_revision"`);
    await q.query(
      `CREATE TABLE "transit_issuer_keys" (
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "key_id" text NOT NULL,
         "role" text NOT NULL CHECK ("role" IN ('root', 'issuer')),
         "public_key" text NOT NULL,
         "private_key_enc" text NOT NULL,
         "not_before" timestamptz NOT NULL DEFAULT now(),
         "not_after" timestamptz,
         "revision" bigint NOT NULL DEFAULT nextval('transit_issuer_keys_revision'),
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_issuer_keys" PRIMARY KEY ("operator_id", "key_id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_transit_issuer_keys_root" ON "transit_issuer_keys" ("operator_id") WHERE "role" = 'root'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "transit_issuer_keys"');
    await q.query('DROP SEQUENCE "transit_issuer_keys_revision"');
    await q.query('DROP INDEX "UQ_transit_riders_external_agreement"');
    await q.query(
      `ALTER TABLE "transit_riders" DROP COLUMN "external_agreement_no", DROP COLUMN "agreement_signed_at",
         DROP COLUMN "cancel_requested_at", DROP COLUMN "cancelled_at"`,
    );
  }
}
