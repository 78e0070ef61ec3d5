import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channel share (issue 13, item 3): what institutions report of their volume from every channel, next
 * to Causeway's own count from the journey rollups.
 *  - `channel_bookings`: one row per booking the HIS made through another channel (SIU^S12 with ZBK-1,
 *    docs/channel-share.md), keyed by its appointment id, so a resend or a new MSH-10 counts it once.
 *  - `channel_totals`: per institution, local day, hour and channel (a transit medium, a tender type,
 *    a hospital channel), the count. AFC and POS summaries are stored as sent (a repeat must agree);
 *    the HIS's bookings are added up here as they arrive. `hour` is null for a whole-day figure.
 *  - `causeway_journey_event` gains the time it happened, for events that are stored after the fact
 *    (a tap is posted after the ride; the demo's synthetic history).
 *  - Transit rides: every accepted entry tap of a known rider is a `ride` journey event at the tap's time,
 *    written by a statement trigger in the tap batch's own transaction (one INSERT per batch).
 */
export class ChannelShare1767600000000 implements MigrationInterface {
  name = 'ChannelShare1767600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "channel_bookings" (
         "institution_id" text NOT NULL REFERENCES "institutions"("id"),
         "appointment_id" text NOT NULL,
         "channel" text NOT NULL,
         "booked_at" timestamptz NOT NULL,
         "day" text NOT NULL,
         "hour" smallint NOT NULL,
         "inbox_id" bigint,
         PRIMARY KEY ("institution_id", "appointment_id"))`,
    );
    await q.query(
      `CREATE TABLE "channel_totals" (
         "institution_id" text NOT NULL REFERENCES "institutions"("id"),
         "source" text NOT NULL CHECK ("source" IN ('his', 'afc', 'pos')),
         "day" text NOT NULL CHECK ("day" ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
         "hour" smallint CHECK ("hour" BETWEEN 0 AND 23),
         "channel" text NOT NULL,
         "count" bigint NOT NULL CHECK ("count" >= 0),
         "reported_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "UQ_channel_totals" UNIQUE NULLS NOT DISTINCT ("institution_id", "day", "hour", "channel"))`,
    );
    await q.query(
      `CREATE FUNCTION causeway_journey_event(p_journey text, p_vertical text, p_institution text, p_stage text,
                                               p_user_ref text, p_amount bigint, p_at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
       DECLARE v_id bigint;
       BEGIN
         INSERT INTO journey_events (journey_id, vertical, institution_id, stage, at, user_ref, amount_minor)
           VALUES (p_journey, p_vertical, p_institution, p_stage, p_at, p_user_ref, p_amount) RETURNING id INTO v_id;
         INSERT INTO journey_events_pending (event_id) VALUES (v_id);
       END $$`,
    );
    await q.query(
      `CREATE FUNCTION causeway_event_on_transit_rides() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM causeway_journey_event('transit-ride/' || t.operator_id || '/' || t.tap_id, 'transit', t.operator_id, 'ride',
                                        u.user_ref, NULL, t.transaction_at)
            FROM new_taps t JOIN transit_riders r ON r.id = t.rider_id JOIN users u ON u.id = r.user_id
           WHERE t.tap_type = 'on' AND t.gate_decision = 'allow';
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_transit_taps_ride_events" AFTER INSERT ON "transit_taps"
         REFERENCING NEW TABLE AS new_taps FOR EACH STATEMENT EXECUTE FUNCTION causeway_event_on_transit_rides()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_transit_taps_ride_events" ON "transit_taps"');
    await q.query('DROP FUNCTION causeway_event_on_transit_rides()');
    await q.query('DROP FUNCTION causeway_journey_event(text, text, text, text, text, bigint, timestamptz)');
    await q.query('DROP TABLE "channel_totals"');
    await q.query('DROP TABLE "channel_bookings"');
  }
}
