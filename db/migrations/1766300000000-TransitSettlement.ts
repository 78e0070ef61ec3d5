import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settling rider-days (issue 11, item 6):
 * - `transit_day_trades`: every trade made for a rider-day — agreement charges (one out_trade_no per
 *   revision and refused attempt), debt payments by QR code — and what was refunded of each. What a
 *   day has been paid is the sum here, so a late revision charges or refunds only the difference.
 * - `transit_debts`: a day whose charge was refused past the retry policy, until it is paid. A rider
 *   with an open debt is `transit_riders.in_debt` and on the gates' deny list.
 * - `transit_deny_list_heads` / `transit_deny_list_changes`: the deny list as numbered changes per
 *   operator. The head row is locked to take the next number, so versions commit in order and a gate
 *   asking "since N" never misses a change committed later with a smaller number.
 */
export class TransitSettlement1766300000000 implements MigrationInterface {
  name = 'TransitSettlement1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "transit_day_trades" (
         "out_trade_no" text NOT NULL,
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "rider_ref" text NOT NULL,
         "service_day" text NOT NULL,
         "revision" integer NOT NULL,
         "purpose" text NOT NULL CHECK ("purpose" IN ('agreement_charge', 'debt_payment')),
         "amount_minor" bigint NOT NULL CHECK ("amount_minor" > 0),
         "currency" character(3) NOT NULL,
         "status" text NOT NULL CHECK ("status" IN ('pending', 'paid', 'refused')),
         "refusal" text,
         "trade_no" text,
         "refunded_minor" bigint NOT NULL DEFAULT 0,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_day_trades" PRIMARY KEY ("out_trade_no"),
         CONSTRAINT "CHK_transit_day_trades_refund" CHECK ("refunded_minor" >= 0 AND "refunded_minor" <= "amount_minor"))`,
    );
    await q.query(`CREATE INDEX "IDX_transit_day_trades_day" ON "transit_day_trades" ("operator_id", "rider_ref", "service_day")`);
    await q.query(
      `CREATE TABLE "transit_debts" (
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "rider_ref" text NOT NULL,
         "service_day" text NOT NULL,
         "amount_minor" bigint NOT NULL CHECK ("amount_minor" > 0),
         "currency" character(3) NOT NULL,
         "reason" text NOT NULL,
         "status" text NOT NULL CHECK ("status" IN ('open', 'paid', 'cleared')),
         "opened_at" timestamptz NOT NULL DEFAULT now(),
         "closed_at" timestamptz,
         CONSTRAINT "PK_transit_debts" PRIMARY KEY ("operator_id", "rider_ref", "service_day"))`,
    );
    await q.query(`CREATE INDEX "IDX_transit_debts_open" ON "transit_debts" ("operator_id", "rider_ref") WHERE "status" = 'open'`);
    await q.query(
      `CREATE TABLE "transit_deny_list_heads" (
         "operator_id" text NOT NULL REFERENCES "institutions"("id"),
         "version" bigint NOT NULL DEFAULT 0,
         CONSTRAINT "PK_transit_deny_list_heads" PRIMARY KEY ("operator_id"))`,
    );
    await q.query(
      `CREATE TABLE "transit_deny_list_changes" (
         "operator_id" text NOT NULL,
         "version" bigint NOT NULL,
         "pseudonym" text NOT NULL,
         "action" text NOT NULL CHECK ("action" IN ('add', 'remove')),
         "rider_ref" text NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "PK_transit_deny_list_changes" PRIMARY KEY ("operator_id", "version", "pseudonym"))`,
    );
    await q.query(`CREATE INDEX "IDX_transit_deny_list_changes_rider" ON "transit_deny_list_changes" ("operator_id", "rider_ref")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "transit_deny_list_changes"');
    await q.query('DROP TABLE "transit_deny_list_heads"');
    await q.query('DROP TABLE "transit_debts"');
    await q.query('DROP TABLE "transit_day_trades"');
  }
}
