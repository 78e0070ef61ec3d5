import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service window as a stream, mutes and announcements (issue 14, item 1).
 *
 * A stream resumes from the last notice id it sent, so a user's notices must become visible in id
 * order: with ids from the sequence alone, a notice given id 10 could commit after id 11 had been
 * sent and be skipped for good. A BEFORE INSERT trigger therefore takes the id only after locking
 * the user's row in `notice_user_heads` (a row lock, held until commit: an announcement to 10 000
 * users locks 10 000 rows, not 10 000 entries of the shared lock table). An AFTER INSERT trigger
 * announces the new notice on `user_notices` with the user's pseudonymous ref as payload; streams
 * re-read PostgreSQL on that hint.
 */
export class NoticeStream1766800000000 implements MigrationInterface {
  name = 'NoticeStream1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "notice_user_heads" ("user_ref" text PRIMARY KEY, "last_id" bigint NOT NULL)`);
    await q.query(
      `CREATE FUNCTION causeway_notice_ordered_id() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- ON CONFLICT locks the existing row before computing SET, so the id is drawn under the lock.
         INSERT INTO notice_user_heads AS h (user_ref, last_id)
           VALUES (NEW.user_ref, nextval(pg_get_serial_sequence('notifications', 'id')))
           ON CONFLICT (user_ref) DO UPDATE SET last_id = nextval(pg_get_serial_sequence('notifications', 'id'))
           RETURNING h.last_id INTO NEW.id;
         RETURN NEW;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_notifications_ordered_id" BEFORE INSERT ON "notifications"
         FOR EACH ROW EXECUTE FUNCTION causeway_notice_ordered_id()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_notice_announce() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('user_notices', NEW.user_ref);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_notifications_announce" AFTER INSERT ON "notifications"
         FOR EACH ROW EXECUTE FUNCTION causeway_notice_announce()`,
    );
    await q.query(
      `CREATE TABLE "notice_mutes" (
         "user_ref" text NOT NULL,
         "institution_id" text NOT NULL REFERENCES "institutions"("id"),
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_notice_mutes" PRIMARY KEY ("user_ref", "institution_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_notice_mutes_institution" ON "notice_mutes" ("institution_id")`);
    await q.query(
      `CREATE TABLE "announcements" (
         "institution_id" text NOT NULL REFERENCES "institutions"("id"),
         "announcement_id" text NOT NULL,
         "template_key" text NOT NULL,
         "data" jsonb NOT NULL,
         "request_hash" text NOT NULL,
         "recipients" integer NOT NULL DEFAULT 0,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_announcements" PRIMARY KEY ("institution_id", "announcement_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_announcements_recent" ON "announcements" ("institution_id", "created_at")`);
    // An announcement's recipients: the users with a visit at the hospital.
    await q.query(`CREATE INDEX "IDX_visits_institution_user" ON "visits" ("institution_id", "user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_visits_institution_user"');
    await q.query('DROP TABLE "announcements"');
    await q.query('DROP TABLE "notice_mutes"');
    await q.query('DROP TRIGGER "TR_notifications_announce" ON "notifications"');
    await q.query('DROP FUNCTION causeway_notice_announce()');
    await q.query('DROP TRIGGER "TR_notifications_ordered_id" ON "notifications"');
    await q.query('DROP FUNCTION causeway_notice_ordered_id()');
    await q.query('DROP TABLE "notice_user_heads"');
  }
}
