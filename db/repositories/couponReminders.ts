import type { SqlRunner } from './slots';

/** How far ahead of a campaign's end its unused coupons are pointed out. */
export const COUPON_REMINDER_DAYS = 3;

/**
 * The service window's "coupons about to expire" (issue 12, item 6): each shopper holding unused coupons
 * from a funder (a merchant or district) whose validity ends within three days gets one marketing notice
 * per funder and day, naming how many and the first end. Ids, a count and a time only; never sent to a
 * shopper who muted that funder; the notice's key makes a repeated run send nothing more, which is also
 * the rate limit: one reminder per funder per shopper per day.
 */
export async function remindExpiringCoupons(db: SqlRunner, asOfMs: number, funderIds?: readonly string[]): Promise<number> {
  const asOf = new Date(asOfMs);
  const day = asOf.toISOString().slice(0, 10);
  const rows: Array<{ n: number }> = await db.query(
    `WITH due AS (
       SELECT u.user_ref, c.funder_id, count(*)::int AS n, min(c.valid_until) AS first_end
         FROM retail_coupons k
         JOIN retail_campaigns c ON c.id = k.campaign_id
         JOIN users u ON u.id = k.user_id
        WHERE k.status = 'available' AND c.valid_until > $1 AND c.valid_until <= $1 + make_interval(days => $3)
          AND ($4::text[] IS NULL OR c.funder_id = ANY($4))
          AND NOT EXISTS (SELECT 1 FROM notice_mutes m WHERE m.user_ref = u.user_ref AND m.institution_id = c.funder_id)
        GROUP BY u.user_ref, c.funder_id),
     sent AS (
       INSERT INTO notifications (user_ref, journey_id, kind, key, data)
       SELECT user_ref, 'coupon-expiry/' || funder_id || '/' || $2, 'coupon_expiring', user_ref,
              jsonb_build_object('count', n, 'endsAtMs', (extract(epoch FROM first_end) * 1000)::bigint)
         FROM due ORDER BY user_ref
       ON CONFLICT (journey_id, kind, key) DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM sent`,
    [asOf, day, COUPON_REMINDER_DAYS, funderIds ?? null],
  );
  return rows[0]?.n ?? 0;
}
