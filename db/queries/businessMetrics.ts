import type { DataSource } from 'typeorm';
import { z } from 'zod';

/**
 * What operators' dashboards count, read from the tables the journeys already write (read models,
 * payments, the ledger, the inbox, reconciliation reports, the webhook outbox), in one statement so
 * every figure of a scrape comes from the same snapshot. Labels are only the vertical and a stage,
 * outcome, status or kind chosen by code: never a user, an order or an institution.
 *
 * Each part is an aggregate over its table: the read models and the ledger grow with traffic, so the
 * caller caches the answer for a few seconds (METRICS_DB_CACHE_MS). Past millions of rows per table this
 * becomes counters kept by triggers (docs/capacity.md).
 */
const FIGURES_SQL = `
WITH vertical_of_journey(prefix, vertical) AS (
  VALUES ('hospital-visit/', 'hospital'), ('transit-day/', 'transit'), ('retail-order/', 'retail'))
SELECT 'journeys' AS metric, 'hospital' AS vertical, stage AS label, count(*) AS n, 0 AS amount FROM visit_views GROUP BY stage
UNION ALL
SELECT 'journeys', 'transit', stage, count(*), 0 FROM rider_day_views GROUP BY stage
UNION ALL
SELECT 'journeys', 'retail', stage, count(*), 0 FROM retail_order_views GROUP BY stage
UNION ALL
-- Payments through the payment saga: hospital fees and orders, transit debts paid by QR code.
SELECT 'payments', coalesce(v.vertical, 'other'),
       CASE WHEN p.status IN ('paid', 'partially_refunded', 'refunded') THEN 'paid' WHEN p.status = 'closed' THEN 'closed' ELSE 'pending' END,
       count(*), sum(p.amount_minor)
  FROM payments p LEFT JOIN vertical_of_journey v ON starts_with(p.journey_id, v.prefix) GROUP BY 2, 3
UNION ALL
-- A rider-day's charges under the withholding agreement (its debt payments are saga payments above).
SELECT 'payments', 'transit', CASE status WHEN 'paid' THEN 'paid' WHEN 'refused' THEN 'declined' ELSE 'pending' END,
       count(*), sum(amount_minor)
  FROM transit_day_trades WHERE purpose = 'agreement_charge' GROUP BY 3
UNION ALL
-- Face-to-face payments at a till live in the order's read model.
SELECT 'payments', 'retail', CASE WHEN stage IN ('paid', 'closed') THEN 'paid' WHEN stage = 'payment_failed' THEN 'declined' ELSE 'pending' END,
       count(*), sum((view->>'paidMinor')::bigint)
  FROM retail_order_views WHERE stage IN ('paying', 'paid', 'closed', 'payment_failed') GROUP BY 3
UNION ALL
-- Refunds in the ledger (saga payments and rider-day trades; a ledger row with no saga payment is a trade).
SELECT 'refunds', coalesce(v.vertical, CASE WHEN p.journey_id IS NULL THEN 'transit' ELSE 'other' END), '',
       count(*), sum(abs(l.amount_minor))
  FROM ledger_entries l LEFT JOIN payments p ON p.out_trade_no = l.out_trade_no
  LEFT JOIN vertical_of_journey v ON starts_with(p.journey_id, v.prefix)
 WHERE l.kind = 'refunded' GROUP BY 2
UNION ALL
SELECT 'refunds', 'retail', '', sum(jsonb_array_length(view->'refunds')), sum((view->>'refundedMinor')::bigint)
  FROM retail_order_views WHERE stage IN ('paid', 'closed') AND (view->>'refundedMinor')::bigint > 0
UNION ALL
SELECT 'hl7_inbox', '', status, count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)
  FROM inbox_messages WHERE channel = 'hl7' AND status <> 'applied' GROUP BY status
UNION ALL
SELECT 'reconciliation', '', m->>'kind', count(*), 0
  FROM (SELECT mismatches FROM reconciliation_reports ORDER BY bill_date DESC LIMIT 1) r, jsonb_array_elements(r.mismatches) m GROUP BY 3
UNION ALL
SELECT 'webhooks', '', status, count(*), 0 FROM webhook_deliveries WHERE status IN ('pending', 'failed') GROUP BY status`;

const FigureRow = z.object({
  metric: z.enum(['journeys', 'payments', 'refunds', 'hl7_inbox', 'reconciliation', 'webhooks']),
  vertical: z.string(),
  label: z.string().nullable(),
  n: z.coerce.number(),
  amount: z.coerce.number().nullable(),
});
export type FigureRow = z.infer<typeof FigureRow>;

export async function readBusinessFigures(db: Pick<DataSource, 'query'>): Promise<FigureRow[]> {
  return z.array(FigureRow).parse(await db.query(FIGURES_SQL));
}
