import { z } from 'zod';
import { workflowIds } from '../../domain/ids';
import type { SqlRunner } from '../repositories/slots';
import { Settlement } from './riderDayView';

/**
 * A partner user's money owed to one operator, read from PostgreSQL only: the days whose charge was
 * refused (retrying, or in debt) from `rider_day_views`, each with the newest QR order the rider
 * asked for (the payment saga's `payments` row of the day's workflow).
 */
const Row = z.object({
  rider_ref: z.string(),
  in_debt: z.boolean(),
  service_day: z.string().nullable(),
  stage: z.string().nullable(),
  settlement: Settlement.nullable(),
  currency: z.string().nullable(),
  out_trade_no: z.string().nullable(),
  amount_minor: z.coerce.number().int().nullable(),
  payment_status: z.string().nullable(),
  qr_code: z.string().nullable(),
});

export interface OwedDay {
  serviceDay: string;
  stage: 'charge_retrying' | 'in_debt';
  workflowId: string;
  owedMinor: number;
  currency: string;
  attempts: number;
  refusal: string | null;
  nextAttemptAt: string | null;
  payment: { outTradeNo: string; amountMinor: number; status: string; qrCode: string | null } | null;
}

export interface RiderDebt {
  riderRef: string;
  inDebt: boolean;
  days: OwedDay[];
}

/** Null when the user is not enrolled with the operator. */
export async function readRiderDebt(db: SqlRunner, k: { operatorId: string; userId: string }): Promise<RiderDebt | null> {
  const rows = z.array(Row).parse(
    await db.query(
      `SELECT r.rider_ref, r.in_debt, v.service_day, v.stage, v.view->'settlement' AS settlement, v.view->'trace'->>'currency' AS currency,
              p.out_trade_no, p.amount_minor, p.status AS payment_status, p.qr_code
         FROM transit_riders r
         LEFT JOIN rider_day_views v
           ON v.operator_id = r.operator_id AND v.rider_ref = r.rider_ref AND v.stage IN ('charge_retrying', 'in_debt')
         LEFT JOIN LATERAL (
           SELECT out_trade_no, amount_minor, status, qr_code FROM payments
            -- the rider-day workflow id (workflowIds.transitDay): the payment saga's journey
            WHERE journey_id = 'transit-day/' || r.operator_id || '/' || r.rider_ref || '/' || v.service_day
            ORDER BY created_at DESC LIMIT 1) p ON true
        WHERE r.operator_id = $1 AND r.user_id = $2::uuid
        ORDER BY v.service_day`,
      [k.operatorId, k.userId],
    ),
  );
  const first = rows[0];
  if (!first) return null;
  const days: OwedDay[] = [];
  for (const r of rows) {
    if (!r.service_day || !r.settlement || (r.stage !== 'charge_retrying' && r.stage !== 'in_debt')) continue;
    days.push({
      serviceDay: r.service_day,
      stage: r.stage,
      workflowId: workflowIds.transitDay(k.operatorId, first.rider_ref, r.service_day),
      owedMinor: r.settlement.owedMinor,
      currency: r.currency ?? '',
      attempts: r.settlement.attempts,
      refusal: r.settlement.refusal,
      nextAttemptAt: r.settlement.nextAttemptAt,
      payment:
        r.out_trade_no && r.amount_minor !== null && r.payment_status
          ? { outTradeNo: r.out_trade_no, amountMinor: r.amount_minor, status: r.payment_status, qrCode: r.qr_code }
          : null,
    });
  }
  return { riderRef: first.rider_ref, inDebt: first.in_debt, days };
}
