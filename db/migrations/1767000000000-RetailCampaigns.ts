import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Marketing campaigns, their coupons and the points ledger (issue 12). A campaign row carries its
 * budgets and their running totals, and every step that spends a budget is one conditional UPDATE of
 * that row (domain/retail/budget.ts in SQL), so concurrent claims and checkouts serialise on it and can
 * never overspend. Coupons are issued by claims, idempotent per (campaign, user, request number).
 * The points ledger is append-only; a member's balance is the sum of their movements, each idempotent
 * by its key.
 */
export class RetailCampaigns1767000000000 implements MigrationInterface {
  name = 'RetailCampaigns1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "retail_campaigns" (
         "id" uuid PRIMARY KEY,
         "funder_id" text NOT NULL REFERENCES "institutions"("id"),
         "name" text NOT NULL,
         "kind" text NOT NULL CHECK ("kind" IN ('fixed', 'percent')),
         "value" integer NOT NULL CHECK ("value" > 0),
         "max_discount_minor" integer,
         "min_spend_minor" integer NOT NULL DEFAULT 0,
         "categories" text[] NOT NULL DEFAULT '{}',
         "merchant_ids" text[] NOT NULL,
         "below_minimum" text NOT NULL CHECK ("below_minimum" IN ('keep', 'claw_back')),
         "valid_from" timestamptz NOT NULL,
         "valid_until" timestamptz NOT NULL,
         "time_zone" text NOT NULL,
         "budget_money_minor" bigint NOT NULL CHECK ("budget_money_minor" >= 0),
         "budget_count" integer NOT NULL CHECK ("budget_count" >= 0),
         "budget_daily_minor" bigint,
         "per_user_limit" integer NOT NULL CHECK ("per_user_limit" > 0),
         "status" text NOT NULL CHECK ("status" IN ('active', 'paused')),
         "issued_count" integer NOT NULL DEFAULT 0,
         "reserved_minor" bigint NOT NULL DEFAULT 0,
         "committed_minor" bigint NOT NULL DEFAULT 0,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "CK_retail_campaigns_budget" CHECK (
           "issued_count" <= "budget_count" AND "reserved_minor" >= 0 AND "committed_minor" >= 0
           AND "reserved_minor" + "committed_minor" <= "budget_money_minor"))`,
    );
    await q.query(`CREATE INDEX "IDX_retail_campaigns_funder" ON "retail_campaigns" ("funder_id")`);
    await q.query(
      `CREATE TABLE "retail_campaign_days" (
         "campaign_id" uuid NOT NULL REFERENCES "retail_campaigns"("id"),
         "day" date NOT NULL,
         "spent_minor" bigint NOT NULL DEFAULT 0 CHECK ("spent_minor" >= 0),
         PRIMARY KEY ("campaign_id", "day"))`,
    );
    await q.query(
      `CREATE TABLE "retail_coupons" (
         "id" uuid PRIMARY KEY,
         "campaign_id" uuid NOT NULL REFERENCES "retail_campaigns"("id"),
         "user_id" uuid NOT NULL REFERENCES "users"("id"),
         "request_no" text NOT NULL,
         "status" text NOT NULL CHECK ("status" IN ('available', 'reserved', 'used')),
         "order_key" text,
         "discount_minor" integer,
         "reserved_day" date,
         "issued_at" timestamptz NOT NULL DEFAULT now(),
         "used_at" timestamptz,
         CONSTRAINT "UQ_retail_coupons_claim" UNIQUE ("campaign_id", "user_id", "request_no"))`,
    );
    await q.query(`CREATE INDEX "IDX_retail_coupons_user" ON "retail_coupons" ("user_id", "status")`);
    // Every budget movement once: a retried activity finds its key and does nothing.
    await q.query(
      `CREATE TABLE "retail_budget_moves" (
         "move_key" text PRIMARY KEY,
         "campaign_id" uuid NOT NULL REFERENCES "retail_campaigns"("id"),
         "amount_minor" bigint NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(
      `CREATE TABLE "points_ledger" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "program_id" text NOT NULL REFERENCES "institutions"("id"),
         "user_id" uuid NOT NULL REFERENCES "users"("id"),
         "movement_key" text NOT NULL,
         "kind" text NOT NULL CHECK ("kind" IN ('earn_pending', 'release', 'reverse', 'redeem', 'expire', 'restore')),
         "pending_delta" integer NOT NULL,
         "available_delta" integer NOT NULL,
         "order_key" text,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "UQ_points_ledger_movement" UNIQUE ("program_id", "movement_key"))`,
    );
    await q.query(`CREATE INDEX "IDX_points_ledger_member" ON "points_ledger" ("program_id", "user_id", "id")`);
    // The order read model: written by the retail-order journey (seq-guarded), read by the POS and the shopper.
    await q.query(
      `CREATE TABLE "retail_order_views" (
         "merchant_id" text NOT NULL,
         "order_ref" text NOT NULL,
         "user_id" uuid,
         "request_hash" text NOT NULL,
         "stage" text NOT NULL,
         "seq" bigint NOT NULL,
         "view" jsonb NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY ("merchant_id", "order_ref"))`,
    );
    await q.query(`CREATE INDEX "IDX_retail_order_views_user" ON "retail_order_views" ("user_id", "created_at" DESC)`);
    // A member's order stages reach their partner app like visits and rider-days (the webhook outbox).
    await q.query(
      `CREATE FUNCTION causeway_webhook_on_retail_order_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.user_id IS NULL OR NEW.seq = 0 THEN RETURN NULL; END IF;
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         PERFORM causeway_publish_webhook(NEW.user_id, 'retail_order.stage_changed',
           'retail-order/' || NEW.merchant_id || '/' || NEW.order_ref,
           jsonb_build_object('merchantId', NEW.merchant_id, 'orderRef', NEW.order_ref, 'stage', NEW.stage,
                              'paidMinor', NEW.view->'paidMinor', 'refundedMinor', NEW.view->'refundedMinor'));
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_retail_order_views_webhook" AFTER INSERT OR UPDATE OF "stage" ON "retail_order_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_webhook_on_retail_order_stage()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_retail_order_views_webhook" ON "retail_order_views"');
    await q.query('DROP FUNCTION causeway_webhook_on_retail_order_stage()');
    await q.query('DROP TABLE "retail_order_views"');
    await q.query('DROP TABLE "points_ledger"');
    await q.query('DROP TABLE "retail_budget_moves"');
    await q.query('DROP TABLE "retail_coupons"');
    await q.query('DROP TABLE "retail_campaign_days"');
    await q.query('DROP TABLE "retail_campaigns"');
  }
}
