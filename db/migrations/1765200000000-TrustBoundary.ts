import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trust boundary (issue 8):
 * - users are per partner app: one record per (partner, ID number), so a registration through one
 *   partner never looks at, or reveals, another partner's users; a keyed hash of the legal name lets a
 *   repeated registration be compared with what is stored without decrypting it;
 * - idempotency keys carry a lease: a key left "in progress" by a crash is taken over once it expires;
 * - indexes for the sweeps that delete expired idempotency keys and nonces.
 */
export class TrustBoundary1765200000000 implements MigrationInterface {
  name = 'TrustBoundary1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS "IDX_43326065c4e4dfbe2ec168a2e9"');
    await q.query('CREATE UNIQUE INDEX "IDX_users_partner_id_number" ON "users" ("partner_id", "id_number_hash")');
    await q.query('ALTER TABLE "users" ADD COLUMN "legal_name_hash" text');
    await q.query('ALTER TABLE "idempotency_keys" ADD COLUMN "lease_until" TIMESTAMP WITH TIME ZONE');
    await q.query('CREATE INDEX "IDX_idempotency_keys_created_at" ON "idempotency_keys" ("created_at")');
    await q.query('CREATE INDEX "IDX_request_nonces_seen_at" ON "request_nonces" ("seen_at")');
    await q.query(`CREATE INDEX "IDX_visits_user_open" ON "visits" ("user_id") WHERE stage IN ('holding', 'awaiting_payment')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS "IDX_visits_user_open"');
    await q.query('DROP INDEX IF EXISTS "IDX_request_nonces_seen_at"');
    await q.query('DROP INDEX IF EXISTS "IDX_idempotency_keys_created_at"');
    await q.query('ALTER TABLE "idempotency_keys" DROP COLUMN "lease_until"');
    await q.query('ALTER TABLE "users" DROP COLUMN "legal_name_hash"');
    await q.query('DROP INDEX IF EXISTS "IDX_users_partner_id_number"');
    await q.query('CREATE UNIQUE INDEX "IDX_43326065c4e4dfbe2ec168a2e9" ON "users" ("id_number_hash")');
  }
}
