import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member cards (issue 12): one per shopper and programme, a merchant or a district. A card's spend is
 * the sum of its orders' net amounts (`member_card_spend`, one row per order, seq-guarded like the
 * order view so a stale write never undoes a newer one); the card keeps the period's spend and the
 * tier the rule in domain/retail/tiers.ts gave it, refreshed whenever its spend changes and at reviews.
 */
export class MemberCards1767300000000 implements MigrationInterface {
  name = 'MemberCards1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "member_cards" (
         "id" uuid PRIMARY KEY,
         "seq" bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
         "user_id" uuid NOT NULL REFERENCES "users"("id"),
         "scope" text NOT NULL CHECK ("scope" IN ('merchant', 'district')),
         "scope_id" text NOT NULL REFERENCES "institutions"("id"),
         "joined_at" timestamptz NOT NULL DEFAULT now(),
         "joined_via" text NOT NULL CHECK ("joined_via" IN ('shopper', 'first_order')),
         "tier" text,
         "period_spend_minor" bigint NOT NULL DEFAULT 0 CHECK ("period_spend_minor" >= 0),
         "reviewed_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "UQ_member_cards_member" UNIQUE ("scope_id", "user_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_member_cards_user" ON "member_cards" ("user_id")`);
    await q.query(`CREATE INDEX "IDX_member_cards_scope_seq" ON "member_cards" ("scope_id", "seq")`);
    await q.query(
      `CREATE TABLE "member_card_spend" (
         "card_id" uuid NOT NULL REFERENCES "member_cards"("id"),
         "order_key" text NOT NULL,
         "merchant_id" text NOT NULL,
         "amount_minor" bigint NOT NULL CHECK ("amount_minor" >= 0),
         "paid_at" timestamptz NOT NULL DEFAULT now(),
         "seq" bigint NOT NULL,
         PRIMARY KEY ("card_id", "order_key"))`,
    );
    await q.query(`CREATE INDEX "IDX_member_card_spend_paid" ON "member_card_spend" ("card_id", "paid_at")`);
    // The expiry sweep looks for lots of available points older than a merchant's age.
    await q.query(`CREATE INDEX "IDX_points_ledger_lots" ON "points_ledger" ("program_id", "created_at") WHERE "available_delta" > 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_points_ledger_lots"');
    await q.query('DROP TABLE "member_card_spend"');
    await q.query('DROP TABLE "member_cards"');
  }
}
