import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incomplete-journey claims (issue 11, item 7): one row per claimed journey, accepted or refused with
 * its reason. Accepted claims count toward the rider's monthly limit and became a tap-off (a row of
 * `transit_taps` with the id `claim-<journey id>`), which re-prices the day.
 */
export class TransitClaims1766400000000 implements MigrationInterface {
  name = 'TransitClaims1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "transit_claims" (
         "id" uuid NOT NULL,
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "rider_ref" text NOT NULL,
         "service_day" text NOT NULL,
         "journey_id" text NOT NULL,
         "to_stop_id" text NOT NULL,
         "status" text NOT NULL CHECK ("status" IN ('accepted', 'refused')),
         "reason" text,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_claims" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_transit_claims_journey" ON "transit_claims" ("operator_id", "rider_ref", "service_day", "journey_id")`,
    );
    await q.query(`CREATE INDEX "IDX_transit_claims_rider_month" ON "transit_claims" ("operator_id", "rider_ref", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "transit_claims"');
  }
}
