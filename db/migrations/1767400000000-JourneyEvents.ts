import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data for institutions (issue 13, items 1 and 2).
 *  - `journey_events`: append-only, one row per stage a journey reaches, written in the same
 *    transaction as the journey's read-model row (triggers on rider_day_views and retail_order_views,
 *    which the journeys' activities write; hospital visits in 1767450000000). No names, no ID numbers: the user's
 *    pseudonymous ref, the institution, the stage, the time, an amount.
 *  - `user_demographics`: age band, gender and region (province) derived once, at verification, from
 *    the resident ID the identity check already decrypted; nothing else about a person.
 *  - `journey_rollups`: hourly and daily counts per institution, stage and demographic cell (local time
 *    of the institution), kept incrementally: each event is also queued in `journey_events_pending`
 *    and `causeway_roll_up_journey_events` folds what is committed into the rollups, so a report
 *    reads rollups and never scans events.
 *  - `analytics_releases`: every count an institution was shown, with the groups it covers, so a new
 *    release is checked against what was released before (domain/analytics/releaseLedger.ts).
 */
export class JourneyEvents1767400000000 implements MigrationInterface {
  name = 'JourneyEvents1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "user_demographics" (
         "user_ref" text PRIMARY KEY,
         "age_band" text NOT NULL,
         "gender" text NOT NULL CHECK ("gender" IN ('female', 'male')),
         "region_code" text NOT NULL CHECK ("region_code" ~ '^[0-9]{2}0000$' OR "region_code" = 'unknown'),
         "derived_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(
      `CREATE TABLE "journey_events" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "journey_id" text NOT NULL,
         "vertical" text NOT NULL CHECK ("vertical" IN ('hospital', 'transit', 'retail')),
         "institution_id" text NOT NULL,
         "stage" text NOT NULL,
         "at" timestamptz NOT NULL DEFAULT now(),
         "user_ref" text,
         "amount_minor" bigint)`,
    );
    await q.query(`CREATE INDEX "IDX_journey_events_journey" ON "journey_events" ("journey_id", "id")`);
    await q.query(
      `CREATE FUNCTION causeway_journey_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'journey_events is append-only'; END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_journey_events_append_only" BEFORE UPDATE OR DELETE ON "journey_events"
         FOR EACH ROW EXECUTE FUNCTION causeway_journey_events_append_only()`,
    );
    await q.query(`CREATE TABLE "journey_events_pending" ("event_id" bigint PRIMARY KEY)`);
    await q.query(
      `CREATE TABLE "journey_rollups" (
         "institution_id" text NOT NULL,
         "vertical" text NOT NULL,
         "stage" text NOT NULL,
         "grain" text NOT NULL CHECK ("grain" IN ('hour', 'day')),
         "bucket" text NOT NULL,
         "age_band" text NOT NULL,
         "gender" text NOT NULL,
         "region_code" text NOT NULL,
         "events" bigint NOT NULL,
         "amount_minor" bigint NOT NULL,
         PRIMARY KEY ("institution_id", "vertical", "grain", "bucket", "stage", "age_band", "gender", "region_code"))`,
    );
    await q.query(
      `CREATE TABLE "analytics_releases" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "institution_id" text NOT NULL,
         "report" text NOT NULL,
         "atoms" text[] NOT NULL,
         "value" bigint NOT NULL,
         "released_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`CREATE INDEX "IDX_analytics_releases_institution" ON "analytics_releases" ("institution_id", "id")`);
    // A new release reads only the earlier counts that share groups with it.
    await q.query(`CREATE INDEX "IDX_analytics_releases_atoms" ON "analytics_releases" USING gin ("atoms")`);

    await q.query(
      `CREATE FUNCTION causeway_journey_event(p_journey text, p_vertical text, p_institution text, p_stage text,
                                               p_user_ref text, p_amount bigint) RETURNS void LANGUAGE plpgsql AS $$
       DECLARE v_id bigint;
       BEGIN
         INSERT INTO journey_events (journey_id, vertical, institution_id, stage, user_ref, amount_minor)
           VALUES (p_journey, p_vertical, p_institution, p_stage, p_user_ref, p_amount) RETURNING id INTO v_id;
         INSERT INTO journey_events_pending (event_id) VALUES (v_id);
       END $$`,
    );
    // Hospital visits: see 1767450000000-HospitalJourneyEvents (a trigger on `visits`).
    await q.query(
      `CREATE FUNCTION causeway_event_on_rider_day_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_ref text;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         SELECT u.user_ref INTO v_ref FROM transit_riders r JOIN users u ON u.id = r.user_id WHERE r.rider_ref = NEW.rider_ref;
         PERFORM causeway_journey_event('transit-day/' || NEW.operator_id || '/' || NEW.rider_ref || '/' || NEW.service_day,
                                        'transit', NEW.operator_id, NEW.stage, v_ref, NULL);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_rider_day_views_journey_event" AFTER INSERT OR UPDATE OF "stage" ON "rider_day_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_event_on_rider_day_stage()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_event_on_retail_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_ref text;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         SELECT user_ref INTO v_ref FROM users WHERE id = NEW.user_id;
         PERFORM causeway_journey_event('retail-order/' || NEW.merchant_id || '/' || NEW.order_ref, 'retail', NEW.merchant_id,
                                        NEW.stage, v_ref, CASE WHEN NEW.stage = 'paid' THEN (NEW.view->>'paidMinor')::bigint END);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_retail_order_views_journey_event" AFTER INSERT OR UPDATE OF "stage" ON "retail_order_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_event_on_retail_stage()`,
    );
    // One roller at a time (a try-lock: a second caller returns at once); it takes only committed,
    // queued events, so an event committed late is folded in by the next run, never skipped.
    await q.query(
      `CREATE FUNCTION causeway_roll_up_journey_events(p_max int) RETURNS int LANGUAGE plpgsql AS $$
       DECLARE v_n int;
       BEGIN
         IF NOT pg_try_advisory_xact_lock(hashtext('causeway_journey_rollups')) THEN RETURN 0; END IF;
         WITH taken AS (
           DELETE FROM journey_events_pending WHERE event_id IN (
             SELECT event_id FROM journey_events_pending ORDER BY event_id LIMIT p_max FOR UPDATE SKIP LOCKED)
           RETURNING event_id),
         cells AS (
           SELECT e.institution_id, e.vertical, e.stage, g.grain,
                  CASE g.grain WHEN 'hour' THEN to_char(e.at AT TIME ZONE i.time_zone, 'YYYY-MM-DD"T"HH24')
                               ELSE to_char(e.at AT TIME ZONE i.time_zone, 'YYYY-MM-DD') END AS bucket,
                  coalesce(d.age_band, 'unknown') AS age_band, coalesce(d.gender, 'unknown') AS gender,
                  coalesce(d.region_code, 'unknown') AS region_code,
                  count(*) AS events, coalesce(sum(e.amount_minor), 0) AS amount_minor
             FROM taken t JOIN journey_events e ON e.id = t.event_id
             JOIN institutions i ON i.id = e.institution_id
             LEFT JOIN user_demographics d ON d.user_ref = e.user_ref
             CROSS JOIN (VALUES ('hour'), ('day')) AS g(grain)
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
         up AS (
           INSERT INTO journey_rollups (institution_id, vertical, stage, grain, bucket, age_band, gender, region_code, events, amount_minor)
             SELECT * FROM cells
           ON CONFLICT (institution_id, vertical, grain, bucket, stage, age_band, gender, region_code)
           DO UPDATE SET events = journey_rollups.events + EXCLUDED.events,
                         amount_minor = journey_rollups.amount_minor + EXCLUDED.amount_minor
           RETURNING 1)
         SELECT count(*) INTO v_n FROM taken;
         RETURN v_n;
       END $$`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION causeway_roll_up_journey_events(int)');
    await q.query('DROP TRIGGER "TR_retail_order_views_journey_event" ON "retail_order_views"');
    await q.query('DROP TRIGGER "TR_rider_day_views_journey_event" ON "rider_day_views"');
    await q.query('DROP FUNCTION causeway_event_on_retail_stage()');
    await q.query('DROP FUNCTION causeway_event_on_rider_day_stage()');
    await q.query('DROP FUNCTION causeway_journey_event(text, text, text, text, text, bigint)');
    await q.query('DROP TABLE "analytics_releases"');
    await q.query('DROP TABLE "journey_rollups"');
    await q.query('DROP TABLE "journey_events_pending"');
    await q.query('DROP TRIGGER "TR_journey_events_append_only" ON "journey_events"');
    await q.query('DROP FUNCTION causeway_journey_events_append_only()');
    await q.query('DROP TABLE "journey_events"');
    await q.query('DROP TABLE "user_demographics"');
  }
}
