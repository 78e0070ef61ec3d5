import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../domain/errors';
import type { PaymentProvider } from '../integrations/payment/provider';
import type { CollectPaymentInput } from '../workflows/payment/types';
import { withFailureMapping } from './failures';

export interface PaymentActivityDeps {
  db: DataSource;
  payments: PaymentProvider;
  /** Where the payment platform sends its asynchronous notifications. */
  notifyUrl: string;
}

type TradeState = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED' | 'NOT_FOUND';

/**
 * Thin, idempotent steps of the payment saga. Each keys on the merchant order number (and the refund
 * request number), and each ledger write is an insert that a repeat turns into a no-op.
 */
export function createPaymentActivities(deps: PaymentActivityDeps) {
  const { db, payments } = deps;

  async function ledger(
    outTradeNo: string,
    kind: 'created' | 'paid' | 'closed' | 'refunded',
    amountMinor: number,
    currency: string,
    ref = '',
    providerRef: string | null = null,
  ): Promise<boolean> {
    const rows: unknown[] = await db.query(
      `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING RETURNING id`,
      [outTradeNo, kind, ref, amountMinor, currency, providerRef],
    );
    return rows.length > 0;
  }

  async function paymentRow(outTradeNo: string): Promise<{
    amount_minor: string;
    currency: string;
    status: string;
    trade_no: string | null;
    qr_code: string | null;
    refunded_minor: string;
  }> {
    const rows: Array<{
      amount_minor: string;
      currency: string;
      status: string;
      trade_no: string | null;
      qr_code: string | null;
      refunded_minor: string;
    }> = await db.query('SELECT amount_minor, currency, status, trade_no, qr_code, refunded_minor FROM payments WHERE out_trade_no = $1', [
      outTradeNo,
    ]);
    const row = rows[0];
    if (!row) throw new DomainError(ErrorCode.NotFound, `no payment ${outTradeNo}`);
    return row;
  }

  return withFailureMapping({
    async createPaymentOrder(input: CollectPaymentInput): Promise<{ qrCode: string }> {
      await db.query(
        `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'created') ON CONFLICT (out_trade_no) DO NOTHING`,
        [input.outTradeNo, input.journeyId, input.step, input.institutionId, input.userRef, input.amountMinor, input.currency],
      );
      const existing = await paymentRow(input.outTradeNo);
      if (Number(existing.amount_minor) !== input.amountMinor) {
        throw new DomainError(ErrorCode.Conflict, `payment ${input.outTradeNo} exists with another amount`);
      }
      if (existing.qr_code) return { qrCode: existing.qr_code };
      // The platform treats a repeated precreate for the same order number as the same order.
      const order = await payments.createQrOrder({
        outTradeNo: input.outTradeNo,
        amountMinor: input.amountMinor,
        currency: input.currency,
        subject: input.subject,
        expiresAt: new Date(input.deadlineMs).toISOString(),
        notifyUrl: deps.notifyUrl,
      });
      await db.query('UPDATE payments SET qr_code = $2, updated_at = now() WHERE out_trade_no = $1', [input.outTradeNo, order.qrCode]);
      await ledger(input.outTradeNo, 'created', 0, input.currency);
      return { qrCode: order.qrCode };
    },

    async queryPayment(input: { outTradeNo: string }): Promise<{ status: TradeState; tradeNo: string; amountMinor: number }> {
      const state = await payments.query(input.outTradeNo);
      if (state.status === 'NOT_FOUND') return { status: 'NOT_FOUND', tradeNo: '', amountMinor: 0 };
      return { status: state.status, tradeNo: state.tradeNo, amountMinor: state.amountMinor };
    },

    async recordPaymentSucceeded(input: {
      outTradeNo: string;
      tradeNo: string;
      amountMinor: number;
    }): Promise<{ tradeNo: string; amountMinor: number }> {
      const row = await paymentRow(input.outTradeNo);
      const amount = Number(row.amount_minor);
      if (input.amountMinor !== amount) {
        // The notification was verified, so a different amount is the platform's word: flag it, never guess.
        throw new DomainError(
          ErrorCode.Conflict,
          `paid amount ${input.amountMinor} differs from order amount ${amount} for ${input.outTradeNo}`,
        );
      }
      let tradeNo = input.tradeNo;
      if (!tradeNo) {
        const state = await payments.query(input.outTradeNo);
        tradeNo = state.status === 'NOT_FOUND' ? '' : state.tradeNo;
      }
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
           VALUES ($1, 'paid', '', $2, $3, $4) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING`,
          [input.outTradeNo, amount, row.currency, tradeNo],
        );
        await tx.query(
          // 'closed' too: a notification that landed while the close ran proves the buyer paid first.
          `UPDATE payments SET status = 'paid', trade_no = $2, updated_at = now() WHERE out_trade_no = $1 AND status IN ('created', 'closed')`,
          [input.outTradeNo, tradeNo],
        );
      });
      return { tradeNo, amountMinor: amount };
    },

    async closePaymentOrder(input: { outTradeNo: string }): Promise<{ status: 'paid' | 'closed'; tradeNo: string; amountMinor: number }> {
      const row = await paymentRow(input.outTradeNo);
      try {
        await payments.close(input.outTradeNo);
      } catch (err) {
        // The buyer paid between our last query and the close: the platform refuses to close a paid
        // trade (ACQ.TRADE_STATUS_ERROR). The query below tells what happened; other states stay refusals.
        if (!(err instanceof DomainError && err.code === ErrorCode.InvalidState)) throw err;
        const state = await payments.query(input.outTradeNo);
        if (state.status !== 'TRADE_SUCCESS' && state.status !== 'TRADE_FINISHED') throw err;
        return { status: 'paid', tradeNo: state.tradeNo, amountMinor: state.amountMinor };
      }
      const state = await payments.query(input.outTradeNo);
      if (state.status === 'TRADE_SUCCESS' || state.status === 'TRADE_FINISHED') {
        return { status: 'paid', tradeNo: state.tradeNo, amountMinor: state.amountMinor };
      }
      await ledger(input.outTradeNo, 'closed', 0, row.currency);
      await db.query(`UPDATE payments SET status = 'closed', updated_at = now() WHERE out_trade_no = $1 AND status = 'created'`, [
        input.outTradeNo,
      ]);
      return { status: 'closed', tradeNo: '', amountMinor: 0 };
    },

    /**
     * Money that arrived for an order we had already closed (a QR code scanned after the close found
     * no trade to close): recorded as paid so the ledger shows it, then refunded by the caller.
     */
    async recordLatePayment(input: { outTradeNo: string; tradeNo: string; amountMinor: number }): Promise<void> {
      const row = await paymentRow(input.outTradeNo);
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
           VALUES ($1, 'paid', 'late', $2, $3, $4) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING`,
          [input.outTradeNo, input.amountMinor, row.currency, input.tradeNo],
        );
        await tx.query(
          `UPDATE payments SET status = 'paid', trade_no = $2, updated_at = now() WHERE out_trade_no = $1 AND status = 'closed'`,
          [input.outTradeNo, input.tradeNo],
        );
      });
    },

    async refundPayment(input: {
      outTradeNo: string;
      outRequestNo: string;
      amountMinor: number;
      reason: string;
    }): Promise<{ refundedMinor: number }> {
      const row = await paymentRow(input.outTradeNo);
      if (input.amountMinor <= 0) return { refundedMinor: 0 };
      if (row.status !== 'paid' && row.status !== 'partially_refunded' && row.status !== 'refunded') {
        throw new DomainError(ErrorCode.InvalidState, `payment ${input.outTradeNo} is ${row.status}, nothing to refund`);
      }
      // Idempotent at the platform on outRequestNo: a retried refund never pays out twice.
      const res = await payments.refund({
        outTradeNo: input.outTradeNo,
        outRequestNo: input.outRequestNo,
        refundMinor: input.amountMinor,
        currency: row.currency,
        reason: input.reason,
      });
      await db.transaction(async (tx) => {
        const inserted: unknown[] = await tx.query(
          `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
           VALUES ($1, 'refunded', $2, $3, $4, $5) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING RETURNING id`,
          [input.outTradeNo, input.outRequestNo, -input.amountMinor, row.currency, res.tradeNo],
        );
        if (inserted.length > 0) {
          await tx.query(
            `UPDATE payments SET refunded_minor = refunded_minor + $2,
               status = CASE WHEN refunded_minor + $2 >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END,
               updated_at = now() WHERE out_trade_no = $1`,
            [input.outTradeNo, input.amountMinor],
          );
        }
      });
      return { refundedMinor: input.amountMinor };
    },
  });
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
