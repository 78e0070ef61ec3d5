import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * visit_results keeps which version of an order's results it holds (OBR-25/OBX-11 stage and the
 * inbox message that carried it), so a late preliminary cannot overwrite a final result. Rows
 * stored before this release count as final from no particular message: a correction or a later
 * final replaces them, a preliminary does not.
 */
export class ResultVersions1765500000000 implements MigrationInterface {
  name = 'ResultVersions1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "visit_results" ADD "result_status" text`);
    await q.query(`ALTER TABLE "visit_results" ADD "status_rank" smallint NOT NULL DEFAULT 2`);
    await q.query(`ALTER TABLE "visit_results" ADD "inbox_id" bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "visit_results" DROP COLUMN "inbox_id"');
    await q.query('ALTER TABLE "visit_results" DROP COLUMN "status_rank"');
    await q.query('ALTER TABLE "visit_results" DROP COLUMN "result_status"');
  }
}
