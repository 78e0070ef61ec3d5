import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tap whose pseudonym was not known when it came in is stored without a rider and resolved later
 * (`resolveLateRiders` sets its rider): the ride events written at insert (1767600000000's `ride`,
 * 1767490000000's `first_ride`) missed it. This row trigger writes them when the rider is set, only for
 * the rows that gain a rider, so the forwarder's frequent status updates do not fire it.
 */
export class LateRiderRideEvents1767800000000 implements MigrationInterface {
  name = 'LateRiderRideEvents1767800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION causeway_ride_events_of_resolved_tap() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_ref text; v_rider text;
       BEGIN
         IF NEW.tap_type <> 'on' OR NEW.gate_decision <> 'allow' THEN RETURN NULL; END IF;
         SELECT u.user_ref, r.rider_ref INTO v_ref, v_rider FROM transit_riders r JOIN users u ON u.id = r.user_id WHERE r.id = NEW.rider_id;
         PERFORM causeway_journey_event('transit-ride/' || NEW.operator_id || '/' || NEW.tap_id, 'transit', NEW.operator_id, 'ride',
                                        v_ref, NULL, NEW.transaction_at);
         PERFORM causeway_rider_event_once(NEW.operator_id, v_rider, 'first_ride', NEW.transaction_at);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_transit_taps_resolved_ride_events" AFTER UPDATE OF "rider_id" ON "transit_taps"
         FOR EACH ROW WHEN (OLD.rider_id IS NULL AND NEW.rider_id IS NOT NULL) EXECUTE FUNCTION causeway_ride_events_of_resolved_tap()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_transit_taps_resolved_ride_events" ON "transit_taps"');
    await q.query('DROP FUNCTION causeway_ride_events_of_resolved_tap()');
  }
}
