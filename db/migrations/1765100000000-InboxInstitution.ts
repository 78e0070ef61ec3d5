import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * HL7 inbox rows carry the institution the transport authenticated (client certificate or
 * registered source address), and an HL7 control id is unique per authenticated institution: no
 * one can claim another hospital's MSH-10 values by naming it in a header.
 */
export class InboxInstitution1765100000000 implements MigrationInterface {
  name = 'InboxInstitution1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "inbox_messages" ADD "institution_id" text`);
    // Rows stored before this release were filed under their MSH-4 (the second half of sender).
    await q.query(`UPDATE "inbox_messages" SET "institution_id" = split_part("sender", '^', 2) WHERE "channel" = 'hl7'`);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_inbox_messages_institution_message" ON "inbox_messages" ("channel", "institution_id", "message_id")
       WHERE "institution_id" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_inbox_messages_institution_message"');
    await q.query('ALTER TABLE "inbox_messages" DROP COLUMN "institution_id"');
  }
}
