import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { workflowIds } from '../../domain/ids';
import type { StageDeadline, Vertical } from '../../domain/operations/stuckJourneys';

/**
 * The operator console's journey lists, read from the journeys' read models (visit_views,
 * rider_day_views, retail_order_views), never from Temporal. No personal data: booking and order
 * references, and the rider's pseudonymous reference.
 */
export const VERTICALS = ['hospital', 'transit', 'retail'] as const satisfies readonly Vertical[];

const StageCount = z.object({ vertical: z.enum(VERTICALS), stage: z.string(), journeys: z.coerce.number().int() });
export type StageCount = z.infer<typeof StageCount>;

/** Journeys per vertical and stage. */
export async function journeysByStage(db: DataSource): Promise<StageCount[]> {
  return z.array(StageCount).parse(
    await db.query(
      `SELECT 'hospital' AS vertical, stage, count(*) AS journeys FROM visit_views GROUP BY stage
       UNION ALL SELECT 'transit', stage, count(*) FROM rider_day_views GROUP BY stage
       UNION ALL SELECT 'retail', stage, count(*) FROM retail_order_views GROUP BY stage
       ORDER BY 1, 2`,
    ),
  );
}

const JourneyRow = z.object({
  institution_id: z.string(),
  ref: z.string(),
  stage: z.string(),
  updated_at: z.date(),
  workflow_id: z.string().nullable(),
  slot_start_ms: z.coerce.number().nullable(),
});

export interface OperatorJourney {
  vertical: Vertical;
  institutionId: string;
  /** Booking ref, `<rider-ref> <service-day>`, or order ref. */
  ref: string;
  stage: string;
  updatedAt: Date;
  workflowId: string;
  /** Hospital bookings: the appointment's start (ms). */
  slotStartMs: number | null;
}

const SELECTS: Record<Vertical, string> = {
  hospital: `SELECT vv.institution_id, vv.booking_ref AS ref, vv.stage, vv.updated_at, v.workflow_id,
                    (vv.status->>'slotStartMs')::bigint AS slot_start_ms
               FROM visit_views vv LEFT JOIN visits v ON v.booking_ref = vv.booking_ref`,
  transit: `SELECT operator_id AS institution_id, rider_ref || ' ' || service_day AS ref, stage, updated_at, NULL AS workflow_id,
                   NULL AS slot_start_ms FROM rider_day_views`,
  retail: `SELECT merchant_id AS institution_id, order_ref AS ref, stage, updated_at, NULL AS workflow_id, NULL AS slot_start_ms
             FROM retail_order_views`,
};

function workflowIdOf(vertical: Vertical, r: z.infer<typeof JourneyRow>): string {
  switch (vertical) {
    case 'hospital':
      return r.workflow_id ?? workflowIds.hospitalVisit(r.institution_id, r.ref);
    case 'transit': {
      const [riderRef = '', day = ''] = r.ref.split(' ');
      return workflowIds.transitDay(r.institution_id, riderRef, day);
    }
    case 'retail':
      return workflowIds.retailOrder(r.institution_id, r.ref);
  }
}

const toJourney =
  (vertical: Vertical) =>
  (r: z.infer<typeof JourneyRow>): OperatorJourney => ({
    vertical,
    institutionId: r.institution_id,
    ref: r.ref,
    stage: r.stage,
    updatedAt: r.updated_at,
    workflowId: workflowIdOf(vertical, r),
    slotStartMs: r.slot_start_ms,
  });

/** The latest journeys of one vertical at one stage, most recently changed first. */
export async function journeysAtStage(db: DataSource, q: { vertical: Vertical; stage: string; limit: number }): Promise<OperatorJourney[]> {
  const rows = z
    .array(JourneyRow)
    .parse(
      await db.query(`SELECT * FROM (${SELECTS[q.vertical]}) j WHERE stage = $1 ORDER BY updated_at DESC LIMIT $2`, [q.stage, q.limit]),
    );
  return rows.map(toJourney(q.vertical));
}

/**
 * Journeys of one vertical still in `stage` whose stage was entered (or, for hospital bookings, whose
 * slot started) before `lateIfBefore`: the stuck list, one live stage at a time so no stage's many
 * on-time journeys can crowd out another's late ones. Oldest first.
 */
export async function journeysPastDeadline(
  db: DataSource,
  q: { vertical: Vertical; deadline: StageDeadline; limit: number },
): Promise<OperatorJourney[]> {
  const since = q.deadline.from === 'slot_start' ? 'slot_start_ms' : '(extract(epoch FROM updated_at) * 1000)';
  const rows = z
    .array(JourneyRow)
    .parse(
      await db.query(`SELECT * FROM (${SELECTS[q.vertical]}) j WHERE stage = $1 AND ${since} < $2 ORDER BY ${since} LIMIT $3`, [
        q.deadline.stage,
        q.deadline.lateIfBefore,
        q.limit,
      ]),
    );
  return rows.map(toJourney(q.vertical));
}
