import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console (issue 13, item 6): people who sign in to the web console, and their sessions.
 *  - `console_accounts`: a login (lower-cased), its scrypt hash (api/console/password.ts), a role, and
 *    for institution staff the one institution they act for. Operators belong to none.
 *  - `console_sessions`: only the SHA-256 of the session token is stored (a leaked table signs nobody
 *    in), with its expiry and the session's CSRF secret, which every POST form carries back.
 */
export class ConsoleAccounts1767500000000 implements MigrationInterface {
  name = 'ConsoleAccounts1767500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "console_accounts" (
         "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         "login" text NOT NULL CHECK ("login" ~ '^[a-z0-9._@-]{3,64}$'),
         "password_hash" text NOT NULL,
         "role" text NOT NULL CHECK ("role" IN ('institution_staff', 'operator')),
         "institution_id" text REFERENCES "institutions"("id"),
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "UQ_console_accounts_login" UNIQUE ("login"),
         CONSTRAINT "CK_console_accounts_scope" CHECK (
           ("role" = 'operator' AND "institution_id" IS NULL) OR ("role" = 'institution_staff' AND "institution_id" IS NOT NULL)))`,
    );
    await q.query(
      `CREATE TABLE "console_sessions" (
         "token_hash" text PRIMARY KEY,
         "account_id" uuid NOT NULL REFERENCES "console_accounts"("id") ON DELETE CASCADE,
         "csrf_secret" text NOT NULL,
         "expires_at" timestamptz NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`CREATE INDEX "IDX_console_sessions_account" ON "console_sessions" ("account_id")`);
    await q.query(`CREATE INDEX "IDX_console_sessions_expiry" ON "console_sessions" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "console_sessions"');
    await q.query('DROP TABLE "console_accounts"');
  }
}
