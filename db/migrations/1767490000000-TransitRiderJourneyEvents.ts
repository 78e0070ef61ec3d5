import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transit rider's funnel (issue 13: enrolled → first ride → settled, and in debt → cleared) as
 * journey events of `transit-rider/<operator>/<rider-ref>`, each stage once per rider: the enrolment
 * becoming active, the first allowed entry tap, the first settled day, the first debt, and a debt paid
 * or cleared. Triggers on the rows that record each step write the event in that step's own
 * transaction; `journey_firsts` remembers which steps a journey has had, so a second debt or a second
 * ride adds nothing and two taps committed together give one first ride.
 */
export class TransitRiderJourneyEvents1767490000000 implements MigrationInterface {
  name = 'TransitRiderJourneyEvents1767490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "journey_firsts" ("journey_id" text NOT NULL, "stage" text NOT NULL, PRIMARY KEY ("journey_id", "stage"))`);
    await q.query(
      `CREATE FUNCTION causeway_rider_event_once(p_operator text, p_rider_ref text, p_stage text, p_at timestamptz)
         RETURNS void LANGUAGE plpgsql AS $$
       DECLARE v_journey text := 'transit-rider/' || p_operator || '/' || p_rider_ref; v_ref text;
       BEGIN
         INSERT INTO journey_firsts (journey_id, stage) VALUES (v_journey, p_stage) ON CONFLICT DO NOTHING;
         IF NOT FOUND THEN RETURN; END IF;
         SELECT u.user_ref INTO v_ref FROM transit_riders r JOIN users u ON u.id = r.user_id WHERE r.rider_ref = p_rider_ref;
         PERFORM causeway_journey_event(v_journey, 'transit', p_operator, p_stage, v_ref, NULL, p_at);
       END $$`,
    );
    await q.query(
      `CREATE FUNCTION causeway_rider_enrolled() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.status = 'active' THEN PERFORM causeway_rider_event_once(NEW.operator_id, NEW.rider_ref, 'enrolled', now()); END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_transit_riders_enrolled" AFTER INSERT OR UPDATE OF "status" ON "transit_riders"
         FOR EACH ROW EXECUTE FUNCTION causeway_rider_enrolled()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_rider_first_ride() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM causeway_rider_event_once(t.operator_id, r.rider_ref, 'first_ride', t.transaction_at)
            FROM (SELECT * FROM new_taps ORDER BY transaction_at) t JOIN transit_riders r ON r.id = t.rider_id
           WHERE t.tap_type = 'on' AND t.gate_decision = 'allow';
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_transit_taps_first_ride" AFTER INSERT ON "transit_taps"
         REFERENCING NEW TABLE AS new_taps FOR EACH STATEMENT EXECUTE FUNCTION causeway_rider_first_ride()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_rider_day_settled() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.stage = 'settled' THEN PERFORM causeway_rider_event_once(NEW.operator_id, NEW.rider_ref, 'settled', now()); END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_rider_day_views_settled" AFTER INSERT OR UPDATE OF "stage" ON "rider_day_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_rider_day_settled()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_rider_debt() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' AND NEW.status = 'open' THEN
           PERFORM causeway_rider_event_once(NEW.operator_id, NEW.rider_ref, 'in_debt', NEW.opened_at);
         ELSIF TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status IN ('paid', 'cleared') THEN
           PERFORM causeway_rider_event_once(NEW.operator_id, NEW.rider_ref, 'cleared', coalesce(NEW.closed_at, now()));
         END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_transit_debts_events" AFTER INSERT OR UPDATE OF "status" ON "transit_debts"
         FOR EACH ROW EXECUTE FUNCTION causeway_rider_debt()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_transit_debts_events" ON "transit_debts"');
    await q.query('DROP FUNCTION causeway_rider_debt()');
    await q.query('DROP TRIGGER "TR_rider_day_views_settled" ON "rider_day_views"');
    await q.query('DROP FUNCTION causeway_rider_day_settled()');
    await q.query('DROP TRIGGER "TR_transit_taps_first_ride" ON "transit_taps"');
    await q.query('DROP FUNCTION causeway_rider_first_ride()');
    await q.query('DROP TRIGGER "TR_transit_riders_enrolled" ON "transit_riders"');
    await q.query('DROP FUNCTION causeway_rider_enrolled()');
    await q.query('DROP FUNCTION causeway_rider_event_once(text, text, text, timestamptz)');
    await q.query('DROP TABLE "journey_firsts"');
  }
}
