import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transit riders and the pseudonyms their credentials carry. A rider is a verified user enrolled
 * with one operator; `rider_ref` is the keyed reference used in workflow ids and search attributes
 * (never the user id). Each level-1 credential names a rotating pseudonym: gates see only that, and
 * `transit_credentials` maps it back to the rider when taps arrive.
 */
export class TransitRiders1766000000000 implements MigrationInterface {
  name = 'TransitRiders1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "transit_riders" (
         "id" uuid NOT NULL,
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "user_id" uuid NOT NULL REFERENCES "users"("id"),
         "rider_ref" text NOT NULL,
         "rider_category" text NOT NULL DEFAULT 'adult',
         "status" text NOT NULL CHECK ("status" IN ('pending', 'active', 'cancelling', 'cancelled')),
         "agreement_no" text,
         "in_debt" boolean NOT NULL DEFAULT false,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_riders" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_transit_riders_operator_user" ON "transit_riders" ("operator_id", "user_id")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_transit_riders_ref" ON "transit_riders" ("rider_ref")`);
    await q.query(
      `CREATE TABLE "transit_credentials" (
         "pseudonym" text NOT NULL,
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "rider_id" uuid NOT NULL REFERENCES "transit_riders"("id"),
         "key_id" text NOT NULL,
         "device_public_key" text NOT NULL,
         "valid_from" timestamptz NOT NULL,
         "valid_until" timestamptz NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_credentials" PRIMARY KEY ("operator_id", "pseudonym"))`,
    );
    await q.query(`CREATE INDEX "IDX_transit_credentials_rider" ON "transit_credentials" ("rider_id", "valid_until")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "transit_credentials"');
    await q.query('DROP TABLE "transit_riders"');
  }
}
