import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coupons in the journey events (issue 13, the retail funnel "claimed → used → refunded"): a trigger on
 * `retail_coupons` writes one event when a coupon is claimed, when its order's payment commits it, and
 * when a whole refund gives it back, in the same transaction as the change. The event belongs to the
 * campaign's funder (a merchant or a district), under the shopper's pseudonymous ref; a used coupon's
 * event carries its discount. A reservation released after a failed payment is not a step of the funnel.
 */
export class CouponJourneyEvents1767480000000 implements MigrationInterface {
  name = 'CouponJourneyEvents1767480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION causeway_event_on_coupon_status() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_stage text; v_ref text; v_funder text;
       BEGIN
         IF TG_OP = 'INSERT' THEN v_stage := 'claimed';
         ELSIF OLD.status = 'reserved' AND NEW.status = 'used' THEN v_stage := 'used';
         ELSIF OLD.status = 'used' AND NEW.status = 'available' THEN v_stage := 'refunded';
         ELSE RETURN NULL;
         END IF;
         SELECT user_ref INTO v_ref FROM users WHERE id = NEW.user_id;
         SELECT funder_id INTO v_funder FROM retail_campaigns WHERE id = NEW.campaign_id;
         PERFORM causeway_journey_event('coupon/' || NEW.id, 'retail', v_funder, v_stage, v_ref,
                                        CASE WHEN v_stage = 'used' THEN NEW.discount_minor END);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_retail_coupons_journey_event" AFTER INSERT OR UPDATE OF "status" ON "retail_coupons"
         FOR EACH ROW EXECUTE FUNCTION causeway_event_on_coupon_status()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_retail_coupons_journey_event" ON "retail_coupons"');
    await q.query('DROP FUNCTION causeway_event_on_coupon_status()');
  }
}
