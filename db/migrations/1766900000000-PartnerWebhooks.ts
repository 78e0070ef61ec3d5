import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Partner webhooks as a transactional outbox. Triggers on `notifications`, `visit_views` and
 * `rider_day_views` turn every notice and every journey stage change into a `webhook_events` row and
 * one `webhook_deliveries` row per subscribed endpoint, in the same transaction as the change itself:
 * no writer can forget to publish, and nothing is published for a change that rolled back. Each
 * delivery carries a per-(endpoint, user) sequence number so a receiver can check order and gaps.
 * API processes claim due deliveries with SKIP LOCKED (api/webhooks/dispatcher.ts).
 */
export class PartnerWebhooks1766900000000 implements MigrationInterface {
  name = 'PartnerWebhooks1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "webhook_endpoints" (
         "id" uuid PRIMARY KEY,
         "partner_id" text NOT NULL REFERENCES "partners"("id"),
         "url" text NOT NULL,
         "event_types" text[] NOT NULL,
         "secret_enc" text NOT NULL,
         "previous_secret_enc" text,
         "previous_secret_until" timestamptz,
         "status" text NOT NULL CHECK ("status" IN ('active', 'paused')),
         "paused_reason" text,
         "paused_at" timestamptz,
         "failing_since" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`CREATE INDEX "IDX_webhook_endpoints_partner" ON "webhook_endpoints" ("partner_id")`);
    await q.query(
      `CREATE TABLE "webhook_events" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "partner_id" text NOT NULL,
         "user_id" uuid NOT NULL,
         "type" text NOT NULL,
         "journey_id" text,
         "data" jsonb NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(
      `CREATE TABLE "webhook_user_sequences" (
         "endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
         "user_id" uuid NOT NULL,
         "last_seq" bigint NOT NULL,
         PRIMARY KEY ("endpoint_id", "user_id"))`,
    );
    await q.query(
      `CREATE TABLE "webhook_deliveries" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "event_id" bigint NOT NULL REFERENCES "webhook_events"("id"),
         "endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
         "user_seq" bigint NOT NULL,
         "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'delivered', 'failed')),
         "attempts" integer NOT NULL DEFAULT 0,
         "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
         "window_start" timestamptz NOT NULL DEFAULT now(),
         "last_http_status" integer,
         "last_error" text,
         "delivered_at" timestamptz,
         "failed_at" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "UQ_webhook_deliveries_event_endpoint" UNIQUE ("event_id", "endpoint_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`);
    await q.query(
      `CREATE INDEX "IDX_webhook_deliveries_failed" ON "webhook_deliveries" ("endpoint_id", "failed_at") WHERE "status" = 'failed'`,
    );
    // One event, and a delivery per endpoint of the user's partner that wants this type. The
    // sequence row is locked until commit, so one user's events are numbered in commit order.
    await q.query(
      `CREATE FUNCTION causeway_publish_webhook(p_user uuid, p_type text, p_journey text, p_data jsonb) RETURNS void
       LANGUAGE plpgsql AS $$
       DECLARE
         v_partner text;
         v_event bigint;
         v_endpoint uuid;
         v_seq bigint;
       BEGIN
         SELECT partner_id INTO v_partner FROM users WHERE id = p_user;
         IF v_partner IS NULL THEN RETURN; END IF;
         FOR v_endpoint IN
           SELECT id FROM webhook_endpoints
            WHERE partner_id = v_partner AND (cardinality(event_types) = 0 OR p_type = ANY(event_types))
            ORDER BY id
         LOOP
           IF v_event IS NULL THEN
             INSERT INTO webhook_events (partner_id, user_id, type, journey_id, data)
             VALUES (v_partner, p_user, p_type, p_journey, p_data) RETURNING id INTO v_event;
           END IF;
           INSERT INTO webhook_user_sequences AS s (endpoint_id, user_id, last_seq) VALUES (v_endpoint, p_user, 1)
             ON CONFLICT (endpoint_id, user_id) DO UPDATE SET last_seq = s.last_seq + 1
             RETURNING last_seq INTO v_seq;
           INSERT INTO webhook_deliveries (event_id, endpoint_id, user_seq) VALUES (v_event, v_endpoint, v_seq);
         END LOOP;
         IF v_event IS NOT NULL THEN PERFORM pg_notify('webhook_deliveries', 'due'); END IF;
       END $$`,
    );
    await q.query(
      `CREATE FUNCTION causeway_webhook_on_notice() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_user uuid;
       BEGIN
         SELECT id INTO v_user FROM users WHERE user_ref = NEW.user_ref;
         IF v_user IS NOT NULL THEN
           PERFORM causeway_publish_webhook(v_user, 'notice.created', NEW.journey_id,
             jsonb_build_object('noticeId', NEW.id::text, 'kind', NEW.kind, 'institutionId', NEW.institution_id,
                                'journeyId', NEW.journey_id, 'data', NEW.data));
         END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_notifications_webhook" AFTER INSERT ON "notifications"
         FOR EACH ROW EXECUTE FUNCTION causeway_webhook_on_notice()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_webhook_on_visit_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_user uuid; v_journey text;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         SELECT user_id, workflow_id INTO v_user, v_journey FROM visits WHERE booking_ref = NEW.booking_ref;
         IF v_user IS NOT NULL THEN
           PERFORM causeway_publish_webhook(v_user, 'visit.stage_changed', v_journey,
             jsonb_build_object('bookingRef', NEW.booking_ref, 'institutionId', NEW.institution_id, 'stage', NEW.stage));
         END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_visit_views_webhook" AFTER INSERT OR UPDATE OF "stage" ON "visit_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_webhook_on_visit_stage()`,
    );
    await q.query(
      `CREATE FUNCTION causeway_webhook_on_rider_day_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_user uuid;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         SELECT user_id INTO v_user FROM transit_riders WHERE rider_ref = NEW.rider_ref;
         IF v_user IS NOT NULL THEN
           PERFORM causeway_publish_webhook(v_user, 'rider_day.stage_changed',
             'transit-day/' || NEW.operator_id || '/' || NEW.rider_ref || '/' || NEW.service_day,
             jsonb_build_object('operatorId', NEW.operator_id, 'serviceDay', NEW.service_day, 'stage', NEW.stage,
                                'revision', NEW.revision));
         END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_rider_day_views_webhook" AFTER INSERT OR UPDATE OF "stage" ON "rider_day_views"
         FOR EACH ROW EXECUTE FUNCTION causeway_webhook_on_rider_day_stage()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_rider_day_views_webhook" ON "rider_day_views"');
    await q.query('DROP TRIGGER "TR_visit_views_webhook" ON "visit_views"');
    await q.query('DROP TRIGGER "TR_notifications_webhook" ON "notifications"');
    await q.query('DROP FUNCTION causeway_webhook_on_rider_day_stage()');
    await q.query('DROP FUNCTION causeway_webhook_on_visit_stage()');
    await q.query('DROP FUNCTION causeway_webhook_on_notice()');
    await q.query('DROP FUNCTION causeway_publish_webhook(uuid, text, text, jsonb)');
    await q.query('DROP TABLE "webhook_deliveries"');
    await q.query('DROP TABLE "webhook_user_sequences"');
    await q.query('DROP TABLE "webhook_events"');
    await q.query('DROP TABLE "webhook_endpoints"');
  }
}
