import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The user's inbox (issue 14, item 1) reads `notifications`: each notice gets the institution it came
 * from (the second part of every journey id, `<kind>/<institution>/…`, kept by the database so no
 * writer can get it wrong) and when the user read it; the list is read newest first by user.
 */
export class UserInbox1766600000000 implements MigrationInterface {
  name = 'UserInbox1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "notifications"
         ADD "institution_id" text GENERATED ALWAYS AS (split_part("journey_id", '/', 2)) STORED,
         ADD "read_at" timestamptz`,
    );
    await q.query(`CREATE INDEX "IDX_notifications_user_newest" ON "notifications" ("user_ref", "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_notifications_user_unread" ON "notifications" ("user_ref") WHERE "read_at" IS NULL`);
    await q.query(`CREATE INDEX "IDX_visits_user" ON "visits" ("user_id", "created_at" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_visits_user"');
    await q.query('DROP INDEX "IDX_notifications_user_unread"');
    await q.query('DROP INDEX "IDX_notifications_user_newest"');
    await q.query('ALTER TABLE "notifications" DROP COLUMN "read_at", DROP COLUMN "institution_id"');
  }
}
