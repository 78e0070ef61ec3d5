import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read model (issue 10): partner reads come from PostgreSQL, not from Temporal queries, so they work
 * with no worker running, during a Temporal outage and after retention removed a closed workflow.
 * Rows are written by activities with a per-journey `seq`; an upsert only replaces an older row, so
 * retried or reordered writes never move a view backwards.
 */
export class ReadModel1765400000000 implements MigrationInterface {
  name = 'ReadModel1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "visit_views" (
      "booking_ref" text PRIMARY KEY,
      "institution_id" text NOT NULL,
      "stage" text NOT NULL,
      "status" jsonb NOT NULL,
      "seq" bigint NOT NULL,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "doctor_queue_views" (
      "institution_id" text NOT NULL,
      "doctor_id" text NOT NULL,
      "service_day" text NOT NULL,
      "config" jsonb NOT NULL,
      "state" jsonb NOT NULL,
      "closing" boolean NOT NULL DEFAULT false,
      "seq" bigint NOT NULL,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      PRIMARY KEY ("institution_id", "doctor_id", "service_day")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS "doctor_queue_views"');
    await q.query('DROP TABLE IF EXISTS "visit_views"');
  }
}
