import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The visit read model (issue 10): each visit's status as its workflow last published it, so partner
 * reads never query a workflow. `seq` orders the writes of one visit: an older snapshot delivered late
 * (a retried activity) never replaces a newer one.
 */
export class VisitViews1765700000000 implements MigrationInterface {
  name = 'VisitViews1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "visit_views" ("booking_ref" text NOT NULL, "institution_id" text NOT NULL, "seq" bigint NOT NULL, "status" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_visit_views" PRIMARY KEY ("booking_ref"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "visit_views"');
  }
}
