import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { ENDED_RIDER_DAY_STAGES, RIDER_DAY_STAGES, type RiderDayView } from '../../workflows/transit/riderDay/types';

/** The NOTIFY channel of rider-day view changes; the payload is `operator/rider-ref/service-day` (no personal data). */
export const RIDER_DAY_VIEW_CHANNEL = 'rider_day_views';

export interface RiderDayKey {
  operatorId: string;
  riderRef: string;
  serviceDay: string;
}

const Adjustment = z.object({ type: z.enum(['transfer', 'daily_cap', 'weekly_cap']), ruleId: z.string(), amount: z.number().int() });
const Journey = z.object({
  journeyId: z.string(),
  kind: z.enum(['complete', 'auto_completed', 'maximum_fare', 'unpriced']),
  incomplete: z.enum(['missing_tap_off', 'missing_tap_on']).optional(),
  networkId: z.string(),
  tapOnId: z.string().optional(),
  tapOffId: z.string().optional(),
  fromStopId: z.string().optional(),
  toStopId: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  fareProductId: z.string().optional(),
  legRuleId: z.string().optional(),
  nominal: z.number().int(),
  adjustments: z.array(Adjustment),
  charged: z.number().int(),
  countsTowardCaps: z.boolean(),
});
const Cap = z.object({
  capId: z.string(),
  period: z.enum(['day', 'week']),
  amount: z.number().int(),
  countedBefore: z.number().int(),
  countedToday: z.number().int(),
  reached: z.boolean(),
});
const Trace = z.object({
  currency: z.string(),
  riderCategoryId: z.string(),
  journeys: z.array(Journey),
  ignoredTaps: z.array(z.object({ tapId: z.string(), reason: z.string() })),
  nominalTotal: z.number().int(),
  maximumFaresTotal: z.number().int(),
  caps: z.array(Cap),
  charge: z.number().int(),
});
/** Where the day's money stands (RiderDaySettlement), once the run has tried to settle it. */
export const Settlement = z.object({
  dueMinor: z.number().int(),
  paidMinor: z.number().int(),
  owedMinor: z.number().int(),
  attempts: z.number().int(),
  refusal: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  waivedMinor: z.number().int(),
});
/** The stored view, parsed at the boundary (it is JSON the workflow wrote, read back by the API). */
const View = z.object({
  operatorId: z.string(),
  riderRef: z.string(),
  serviceDay: z.string(),
  stage: z.enum(RIDER_DAY_STAGES),
  revision: z.number().int(),
  feedVersion: z.number().int().nullable(),
  taps: z.object({ total: z.number().int(), denied: z.number().int(), overLimit: z.number().int() }),
  trace: Trace.nullable(),
  settleAfterMs: z.number().int(),
  settlement: Settlement.optional(),
});
const Row = z.object({ view: View, seq: z.coerce.number().int() });

/**
 * Writes a rider-day's view unless a newer one is stored (a later revision, or the same revision with
 * a higher seq), and notifies listeners in the same statement. Returns whether the row changed.
 */
export async function upsertRiderDayView(db: Pick<DataSource, 'query'>, v: { view: RiderDayView; seq: number }): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH up AS (
       INSERT INTO rider_day_views (operator_id, rider_ref, service_day, stage, revision, seq, view, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
       ON CONFLICT (operator_id, rider_ref, service_day) DO UPDATE
         SET stage = EXCLUDED.stage, revision = EXCLUDED.revision, seq = EXCLUDED.seq, view = EXCLUDED.view, updated_at = now()
         WHERE (rider_day_views.revision, rider_day_views.seq) < (EXCLUDED.revision, EXCLUDED.seq)
       RETURNING operator_id, rider_ref, service_day)
     SELECT pg_notify('${RIDER_DAY_VIEW_CHANNEL}', operator_id || '/' || rider_ref || '/' || service_day) FROM up`,
    [v.view.operatorId, v.view.riderRef, v.view.serviceDay, v.view.stage, v.view.revision, v.seq, JSON.stringify(v.view)],
  );
  return rows.length > 0;
}

/** One rider-day's view, or null when its workflow has published nothing yet. */
export async function readRiderDayView(db: Pick<DataSource, 'query'>, k: RiderDayKey): Promise<{ view: RiderDayView; seq: number } | null> {
  const rows: unknown[] = await db.query(
    'SELECT view, seq FROM rider_day_views WHERE operator_id = $1 AND rider_ref = $2 AND service_day = $3',
    [k.operatorId, k.riderRef, k.serviceDay],
  );
  return rows[0] ? Row.parse(rows[0]) : null;
}

/**
 * What the rider's ended days from `fromDay` (inclusive) to `beforeDay` (exclusive) counted toward
 * each cap id: the week-to-date of weekly caps. Days still taking taps are not counted yet.
 */
export async function countedByCap(
  db: Pick<DataSource, 'query'>,
  k: { operatorId: string; riderRef: string; fromDay: string; beforeDay: string },
): Promise<Record<string, number>> {
  const rows: unknown[] = await db.query(
    `SELECT cap->>'capId' AS cap_id, SUM((cap->>'countedToday')::bigint) AS counted
       FROM rider_day_views, jsonb_array_elements(view->'trace'->'caps') AS cap
      WHERE operator_id = $1 AND rider_ref = $2 AND service_day >= $3 AND service_day < $4
        AND stage = ANY($5::text[]) AND jsonb_typeof(view->'trace') = 'object'
      GROUP BY 1`,
    [k.operatorId, k.riderRef, k.fromDay, k.beforeDay, ENDED_RIDER_DAY_STAGES],
  );
  const out: Record<string, number> = {};
  for (const r of z.array(z.object({ cap_id: z.string(), counted: z.coerce.number().int() })).parse(rows)) out[r.cap_id] = r.counted;
  return out;
}

const TripsRow = z.object({ rider_ref: z.string(), view: View.nullable() });

/**
 * A partner user's day at an operator: null when the user is not enrolled there; `view` null when
 * the day has no taps yet. The user is matched to the rider through transit_riders (operator, user).
 */
export async function readUserRiderDay(
  db: Pick<DataSource, 'query'>,
  k: { operatorId: string; userId: string; serviceDay: string },
): Promise<{ riderRef: string; view: RiderDayView | null } | null> {
  const rows: unknown[] = await db.query(
    `SELECT r.rider_ref, v.view
       FROM transit_riders r
       LEFT JOIN rider_day_views v ON v.operator_id = r.operator_id AND v.rider_ref = r.rider_ref AND v.service_day = $3
      WHERE r.operator_id = $1 AND r.user_id = $2::uuid`,
    [k.operatorId, k.userId, k.serviceDay],
  );
  if (!rows[0]) return null;
  const row = TripsRow.parse(rows[0]);
  return { riderRef: row.rider_ref, view: row.view };
}
