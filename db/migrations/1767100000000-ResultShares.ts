import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A patient's consent to show one visit's results to a doctor of another hospital, for a limited
 * time. Every doctor read checks for a live grant (not revoked, not expired) in the same query.
 */
export class ResultShares1767100000000 implements MigrationInterface {
  name = 'ResultShares1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "result_shares" (
         "id" uuid PRIMARY KEY,
         "booking_ref" text NOT NULL REFERENCES "visits"("booking_ref"),
         "user_id" uuid NOT NULL REFERENCES "users"("id"),
         "institution_id" text NOT NULL REFERENCES "institutions"("id"),
         "doctor_id" text NOT NULL,
         "expires_at" timestamptz NOT NULL,
         "revoked_at" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`CREATE INDEX "IDX_result_shares_doctor" ON "result_shares" ("institution_id", "doctor_id") WHERE "revoked_at" IS NULL`);
    await q.query(`CREATE INDEX "IDX_result_shares_visit" ON "result_shares" ("booking_ref")`);
    await q.query(`CREATE INDEX "IDX_visits_doctor" ON "visits" ("institution_id", "doctor_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_visits_doctor"');
    await q.query('DROP TABLE "result_shares"');
  }
}
