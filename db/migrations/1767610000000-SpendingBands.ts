import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Yearly spending bands (issue 13, item 2), keyed by the pseudonymous user ref.
 *  - `spending_bands`: a user's net spend in a year (paid minus refunded, CNY minor units, the year
 *    local to the institution paid) and its band. Nothing else about the person.
 *  - `spending_band_institutions`: which institutions a user paid in that year (the report counts an
 *    institution's distinct users per band).
 *  - `causeway_refresh_spending_bands(year, edges, labels)` recomputes one year from the ledgers in one
 *    transaction: hospital payments (`payments`, paid time from `ledger_entries`), transit day trades
 *    and retail orders. The band edges come from the pure rule (domain/analytics/spendingBands.ts), so
 *    SQL and TypeScript band alike (`width_bucket`). Recomputed, not kept incrementally: a band is a
 *    yearly figure that moves slowly, a year is one grouped scan, and between refreshes the numbers a
 *    report releases stay still (db/queries/spendingBands.ts refreshes when the last one is old).
 */
export class SpendingBands1767610000000 implements MigrationInterface {
  name = 'SpendingBands1767610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "spending_bands" (
         "year" integer NOT NULL,
         "user_ref" text NOT NULL,
         "spend_minor" bigint NOT NULL,
         "band" text NOT NULL,
         PRIMARY KEY ("year", "user_ref"))`,
    );
    await q.query(
      `CREATE TABLE "spending_band_institutions" (
         "year" integer NOT NULL,
         "institution_id" text NOT NULL,
         "user_ref" text NOT NULL,
         PRIMARY KEY ("year", "institution_id", "user_ref"))`,
    );
    await q.query(`CREATE TABLE "spending_band_refreshes" ("year" integer PRIMARY KEY, "refreshed_at" timestamptz NOT NULL)`);
    await q.query(
      `CREATE FUNCTION causeway_refresh_spending_bands(p_year int, p_edges bigint[], p_labels text[]) RETURNS int
       LANGUAGE plpgsql AS $$
       DECLARE v_n int;
       BEGIN
         PERFORM pg_advisory_xact_lock(hashtext('causeway_spending_bands'), p_year);
         CREATE TEMP TABLE IF NOT EXISTS spend_rows (user_ref text, institution_id text, net bigint) ON COMMIT DROP;
         TRUNCATE spend_rows;
         INSERT INTO spend_rows
           SELECT p.user_ref, p.institution_id, p.amount_minor - p.refunded_minor
             FROM payments p JOIN institutions i ON i.id = p.institution_id
             JOIN LATERAL (SELECT min(l.at) AS at FROM ledger_entries l WHERE l.out_trade_no = p.out_trade_no AND l.kind = 'paid') l ON true
            WHERE p.status IN ('paid', 'partially_refunded', 'refunded') AND p.currency = 'CNY' AND l.at IS NOT NULL
              AND extract(year FROM l.at AT TIME ZONE i.time_zone) = p_year
           UNION ALL
           SELECT u.user_ref, t.operator_id, t.amount_minor - t.refunded_minor
             FROM transit_day_trades t JOIN institutions i ON i.id = t.operator_id
             JOIN transit_riders r ON r.rider_ref = t.rider_ref JOIN users u ON u.id = r.user_id
            WHERE t.status = 'paid' AND t.currency = 'CNY' AND extract(year FROM t.updated_at AT TIME ZONE i.time_zone) = p_year
           UNION ALL
           SELECT u.user_ref, v.merchant_id, (v.view->>'paidMinor')::bigint - coalesce((v.view->>'refundedMinor')::bigint, 0)
             FROM retail_order_views v JOIN institutions i ON i.id = v.merchant_id JOIN users u ON u.id = v.user_id
            WHERE coalesce((v.view->>'paidMinor')::bigint, 0) > 0 AND extract(year FROM v.created_at AT TIME ZONE i.time_zone) = p_year;
         DELETE FROM spending_bands WHERE year = p_year;
         DELETE FROM spending_band_institutions WHERE year = p_year;
         INSERT INTO spending_bands (year, user_ref, spend_minor, band)
           SELECT p_year, user_ref, greatest(sum(net), 0), p_labels[width_bucket(greatest(sum(net), 0), p_edges) + 1]
             FROM spend_rows GROUP BY user_ref;
         GET DIAGNOSTICS v_n = ROW_COUNT;
         INSERT INTO spending_band_institutions (year, institution_id, user_ref)
           SELECT DISTINCT p_year, institution_id, user_ref FROM spend_rows;
         INSERT INTO spending_band_refreshes (year, refreshed_at) VALUES (p_year, now())
           ON CONFLICT (year) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at;
         RETURN v_n;
       END $$`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION causeway_refresh_spending_bands(int, bigint[], text[])');
    await q.query('DROP TABLE "spending_band_refreshes"');
    await q.query('DROP TABLE "spending_band_institutions"');
    await q.query('DROP TABLE "spending_bands"');
  }
}
