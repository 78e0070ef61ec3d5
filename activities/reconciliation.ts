import type { DataSource } from 'typeorm';
import { reconcile, type MoneyLine } from '../domain/reconciliation';
import type { PaymentProvider } from '../integrations/payment/provider';
import { withFailureMapping } from './failures';
import { withHeartbeat } from './heartbeat';

/** Well inside the workflow's heartbeat timeout (the SDK also throttles to 80 % of it). */
const HEARTBEAT_EVERY_MS = 5_000;

export function createReconciliationActivities(deps: { db: DataSource; payments: PaymentProvider }) {
  return withFailureMapping({
    async reconcileDay(input: { date: string }): Promise<{ date: string; mismatches: number }> {
      return withHeartbeat(HEARTBEAT_EVERY_MS, async (stage) => {
        // Ledger days follow the platform's billing day (UTC+8).
        stage('ledger');
        const rows: Array<{ out_trade_no: string; kind: string; ref: string; amount_minor: string }> = await deps.db.query(
          `SELECT out_trade_no, kind, ref, amount_minor FROM ledger_entries
         WHERE kind IN ('paid', 'refunded') AND (at AT TIME ZONE 'Asia/Shanghai')::date = $1::date`,
          [input.date],
        );
        const ledger: MoneyLine[] = rows.map((r) => ({
          outTradeNo: r.out_trade_no,
          kind: r.kind === 'paid' ? 'payment' : 'refund',
          ref: r.ref,
          amountMinor: Math.abs(Number(r.amount_minor)),
        }));
        stage('bill');
        const bill: MoneyLine[] = (await deps.payments.downloadBill(input.date)).map((b) => ({
          outTradeNo: b.outTradeNo,
          kind: b.kind,
          ref: b.kind === 'refund' ? (b.outRequestNo ?? '') : '',
          amountMinor: Math.abs(b.amountMinor),
        }));
        stage('report');
        const mismatches = reconcile(ledger, bill);
        await deps.db.query(
          `INSERT INTO reconciliation_reports (bill_date, mismatches, ledger_count, bill_count) VALUES ($1, $2, $3, $4)
         ON CONFLICT (bill_date) DO UPDATE SET mismatches = EXCLUDED.mismatches, ledger_count = EXCLUDED.ledger_count,
           bill_count = EXCLUDED.bill_count, checked_at = now()`,
          [input.date, JSON.stringify(mismatches), ledger.length, bill.length],
        );
        return { date: input.date, mismatches: mismatches.length };
      });
    },
  });
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
