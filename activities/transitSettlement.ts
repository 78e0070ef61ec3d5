import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import type { PaymentProvider } from '../integrations/payment/provider';
import { withFailureMapping } from './failures';

export interface SettleRiderDayInput {
  version: 1;
  operatorId: string;
  riderRef: string;
  serviceDay: string;
  revision: number;
  amountMinor: number;
  currency: string;
}

export type SettleRiderDayResult =
  | { outcome: 'paid'; outTradeNo: string; tradeNo: string; amountMinor: number; currency: string }
  | { outcome: 'nothing_due'; outTradeNo: null }
  | { outcome: 'refused'; outTradeNo: string; reason: string };

/**
 * The day's one charge is keyed by (operator, rider, day, revision): the same revision always maps to
 * the same out_trade_no, so a retried or redelivered attempt finds the earlier trade instead of
 * opening a second one. Hashed because the platform allows 64 characters and the parts are longer.
 */
export function riderDayOutTradeNo(k: Pick<SettleRiderDayInput, 'operatorId' | 'riderRef' | 'serviceDay' | 'revision'>): string {
  const digest = createHash('sha256').update(`${k.operatorId}\u0000${k.riderRef}\u0000${k.serviceDay}\u0000${k.revision}`).digest('hex');
  return `td-${digest.slice(0, 40)}`;
}

const RiderAgreement = z.object({ agreement_no: z.string().nullable() });

/**
 * Settlement by withholding agreement. Query before paying (like the hospital saga): a trade that
 * already succeeded for this out_trade_no is recorded, not paid again. Business refusals (no
 * agreement, declined, insufficient balance) come back as `refused` so the workflow can move the
 * day into debt; outages throw and are retried.
 */
export function createTransitSettlementActivities(deps: { db: DataSource; payments: PaymentProvider; notifyUrl: string }) {
  const { db, payments } = deps;
  const ledger = async (
    outTradeNo: string,
    kind: 'created' | 'paid',
    amountMinor: number,
    currency: string,
    providerRef: string | null,
  ) => {
    await db.query(
      `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
       VALUES ($1, $2, '', $3, $4, $5) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING`,
      [outTradeNo, kind, amountMinor, currency, providerRef],
    );
  };
  return withFailureMapping({
    async settleRiderDay(input: SettleRiderDayInput): Promise<SettleRiderDayResult> {
      if (input.amountMinor <= 0) return { outcome: 'nothing_due', outTradeNo: null };
      const outTradeNo = riderDayOutTradeNo(input);
      const paid = async (tradeNo: string, amountMinor: number, currency: string): Promise<SettleRiderDayResult> => {
        await ledger(outTradeNo, 'paid', amountMinor, currency, tradeNo);
        return { outcome: 'paid', outTradeNo, tradeNo, amountMinor, currency };
      };
      const earlier = await payments.query(outTradeNo);
      if (earlier.status === 'TRADE_SUCCESS' || earlier.status === 'TRADE_FINISHED') {
        return paid(earlier.tradeNo, earlier.amountMinor, earlier.currency);
      }
      const rows = z
        .array(RiderAgreement)
        .parse(
          await db.query(`SELECT agreement_no FROM transit_riders WHERE operator_id = $1 AND rider_ref = $2`, [
            input.operatorId,
            input.riderRef,
          ]),
        );
      const agreementNo = rows[0]?.agreement_no ?? null;
      if (!agreementNo) return { outcome: 'refused', outTradeNo, reason: 'no_agreement' };
      await ledger(outTradeNo, 'created', input.amountMinor, input.currency, null);
      try {
        const r = await payments.payByAgreement({
          outTradeNo,
          agreementNo,
          amountMinor: input.amountMinor,
          currency: input.currency,
          subject: `Transit ${input.serviceDay}`,
          notifyUrl: deps.notifyUrl,
        });
        return paid(r.tradeNo, r.amountMinor, r.currency);
      } catch (err) {
        if (err instanceof DomainError && !err.retryable) {
          return { outcome: 'refused', outTradeNo, reason: err.code };
        }
        throw err;
      }
    },
  });
}
export type TransitSettlementActivities = ReturnType<typeof createTransitSettlementActivities>;
