import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the business metrics read at every scrape (db/queries/businessMetrics.ts) without scanning
 * tables that only grow: the HL7 messages not yet applied (a handful, among every message ever
 * received) and the ledger's refunds (a few, among every ledger entry).
 */
export class OpsMetrics1767700000000 implements MigrationInterface {
  name = 'OpsMetrics1767700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "IDX_inbox_messages_unapplied" ON "inbox_messages" ("channel", "received_at") WHERE "status" <> 'applied'`);
    await q.query(`CREATE INDEX "IDX_ledger_entries_refunds" ON "ledger_entries" ("out_trade_no") WHERE "kind" = 'refunded'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_ledger_entries_refunds"');
    await q.query('DROP INDEX "IDX_inbox_messages_unapplied"');
  }
}
