import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';

/**
 * An operator's service days from its riders' day views, aggregated in PostgreSQL: riders, revenue
 * (net paid, refunds taken off), what is still owed, riders who reached a cap, and how many journeys
 * were left incomplete. Only days already over count toward money; the running day shows its riders.
 */
const Row = z.object({
  service_day: z.string(),
  riders: z.coerce.number().int(),
  settled: z.coerce.number().int(),
  in_debt: z.coerce.number().int(),
  retrying: z.coerce.number().int(),
  open: z.coerce.number().int(),
  revenue: z.coerce.number().int(),
  owed: z.coerce.number().int(),
  waived: z.coerce.number().int(),
  riders_capped: z.coerce.number().int(),
  journeys: z.coerce.number().int(),
  incomplete: z.coerce.number().int(),
  maximum_fares: z.coerce.number().int(),
  currency: z.string().nullable(),
});

export interface OperatorDayReport {
  serviceDay: string;
  riders: number;
  days: { settled: number; inDebt: number; retrying: number; open: number };
  revenueMinor: number;
  owedMinor: number;
  waivedMinor: number;
  ridersCapped: number;
  journeys: number;
  incompleteJourneys: number;
  /** Incomplete journeys per journey, 0 when there were none. */
  incompleteRate: number;
  maximumFaresMinor: number;
  currency: string | null;
}

export async function readOperatorDays(db: SqlRunner, k: { operatorId: string; from: string; to: string }): Promise<OperatorDayReport[]> {
  const rows = z.array(Row).parse(
    await db.query(
      `SELECT v.service_day,
              count(*) AS riders,
              count(*) FILTER (WHERE v.stage IN ('settled', 'nothing_due')) AS settled,
              count(*) FILTER (WHERE v.stage = 'in_debt') AS in_debt,
              count(*) FILTER (WHERE v.stage = 'charge_retrying') AS retrying,
              count(*) FILTER (WHERE v.stage IN ('priced', 'awaiting_settlement')) AS open,
              coalesce(sum((v.view->'settlement'->>'paidMinor')::bigint), 0) AS revenue,
              coalesce(sum((v.view->'settlement'->>'owedMinor')::bigint), 0) AS owed,
              coalesce(sum((v.view->'settlement'->>'waivedMinor')::bigint), 0) AS waived,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM jsonb_array_elements(coalesce(v.view->'trace'->'caps', '[]'::jsonb)) c WHERE (c->>'reached')::boolean
              )) AS riders_capped,
              coalesce(sum(jsonb_array_length(coalesce(v.view->'trace'->'journeys', '[]'::jsonb))), 0) AS journeys,
              coalesce(sum((
                SELECT count(*) FROM jsonb_array_elements(coalesce(v.view->'trace'->'journeys', '[]'::jsonb)) j WHERE j ? 'incomplete'
              )), 0) AS incomplete,
              coalesce(sum((v.view->'trace'->>'maximumFaresTotal')::bigint), 0) AS maximum_fares,
              min(v.view->'trace'->>'currency') AS currency
         FROM rider_day_views v
        WHERE v.operator_id = $1 AND v.service_day BETWEEN $2 AND $3
        GROUP BY v.service_day
        ORDER BY v.service_day`,
      [k.operatorId, k.from, k.to],
    ),
  );
  return rows.map((r) => ({
    serviceDay: r.service_day,
    riders: r.riders,
    days: { settled: r.settled, inDebt: r.in_debt, retrying: r.retrying, open: r.open },
    revenueMinor: r.revenue,
    owedMinor: r.owed,
    waivedMinor: r.waived,
    ridersCapped: r.riders_capped,
    journeys: r.journeys,
    incompleteJourneys: r.incomplete,
    incompleteRate: r.journeys === 0 ? 0 : Math.round((r.incomplete / r.journeys) * 10_000) / 10_000,
    maximumFaresMinor: r.maximum_fares,
    currency: r.currency,
  }));
}
