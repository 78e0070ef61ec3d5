import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  closeDebt,
  insertPendingTrade,
  openDebt,
  paidOf,
  recordTradeRefunded,
  settleTrade,
  tradesOfDay,
  type DayKey,
} from '../db/repositories/transitSettlement';
import { DomainError } from '../domain/errors';
import { chargeRefusalOf } from '../domain/transit/chargeRetry';
import type { PaymentProvider } from '../integrations/payment/provider';
import { withFailureMapping } from './failures';
import { completeCancellation } from './transitEnrolment';

export interface SettleRiderDayInput extends DayKey {
  version: 1;
  revision: number;
  /** Refused attempts of this revision before this one: each attempt has its own out_trade_no. */
  attempt: number;
  /** What the day costs by its trace (all taps so far). */
  dueMinor: number;
  currency: string;
  /** False past the late-tap window: a higher price is then waived, only refunds still happen. */
  chargeAllowed: boolean;
}

/** Where the day's money stands after the step; `owedMinor` is what a refusal left unpaid. */
export type SettleRiderDayResult =
  | { outcome: 'settled' | 'nothing_due'; paidMinor: number; chargedMinor: number; refundedMinor: number; waivedMinor: number }
  | { outcome: 'refused'; paidMinor: number; owedMinor: number; reason: string; outTradeNo: string };

const hex40 = (parts: Array<string | number>): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);

/**
 * A charge is keyed by (operator, rider, day, revision, attempt): a retried or redelivered step maps to
 * the same out_trade_no and finds the earlier trade instead of opening a second one. Hashed because
 * the platform allows 64 characters and the parts are longer.
 */
export function riderDayOutTradeNo(k: DayKey & { revision: number; attempt: number }): string {
  return `td-${hex40([k.operatorId, k.riderRef, k.serviceDay, k.revision, k.attempt])}`;
}

/** The QR-code order a rider pays a debt with; one per payment request of the day. */
export function riderDebtOutTradeNo(k: DayKey & { revision: number; request: number }): string {
  return `tq-${hex40([k.operatorId, k.riderRef, k.serviceDay, k.revision, k.request])}`;
}

/** A refund of one trade for one revision: the platform's idempotency key, stable across retries. */
const refundRequestNo = (outTradeNo: string, revision: number): string => `tr-${hex40([outTradeNo, revision])}`;

const RiderAgreement = z.object({ agreement_no: z.string().nullable() });

/**
 * Settlement by withholding agreement. The day's trades in PostgreSQL say what it has been paid; the
 * step charges the difference to what its trace costs (a late revision pays only what is new) or
 * refunds it. Like the hospital saga it queries before paying, so a trade that already succeeded
 * is recorded, not paid again. Business refusals (no agreement, declined, insufficient balance)
 * come back as data so the workflow can retry later or open a debt; outages throw and are retried.
 */
export function createTransitSettlementActivities(deps: { db: DataSource; payments: PaymentProvider; notifyUrl: string }) {
  const { db, payments } = deps;
  const ledger = async (
    outTradeNo: string,
    kind: string,
    ref: string,
    amountMinor: number,
    currency: string,
    providerRef: string | null,
  ) => {
    await db.query(
      `INSERT INTO ledger_entries (out_trade_no, kind, ref, amount_minor, currency, provider_ref)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (out_trade_no, kind, ref) DO NOTHING`,
      [outTradeNo, kind, ref, amountMinor, currency, providerRef],
    );
  };
  const agreementOf = async (k: DayKey): Promise<string | null> => {
    const rows = z
      .array(RiderAgreement)
      .parse(
        await db.query(`SELECT agreement_no FROM transit_riders WHERE operator_id = $1 AND rider_ref = $2`, [k.operatorId, k.riderRef]),
      );
    return rows[0]?.agreement_no ?? null;
  };

  /** Charges `amount` under this attempt's out_trade_no, unless the platform has it paid already. */
  const charge = async (
    input: SettleRiderDayInput,
    amount: number,
  ): Promise<{ paid: true; amount: number } | { paid: false; reason: string; outTradeNo: string }> => {
    const outTradeNo = riderDayOutTradeNo(input);
    const paid = async (tradeNo: string, amountMinor: number, currency: string) => {
      await settleTrade(db, outTradeNo, { status: 'paid', tradeNo });
      await ledger(outTradeNo, 'paid', '', amountMinor, currency, tradeNo);
      return { paid: true as const, amount: amountMinor };
    };
    const earlier = await payments.query(outTradeNo);
    if (earlier.status === 'TRADE_SUCCESS' || earlier.status === 'TRADE_FINISHED') {
      await insertPendingTrade(db, {
        ...input,
        outTradeNo,
        purpose: 'agreement_charge',
        amountMinor: earlier.amountMinor,
        currency: earlier.currency,
      });
      return paid(earlier.tradeNo, earlier.amountMinor, earlier.currency);
    }
    await insertPendingTrade(db, { ...input, outTradeNo, purpose: 'agreement_charge', amountMinor: amount, currency: input.currency });
    const refuse = async (reason: string) => {
      await settleTrade(db, outTradeNo, { status: 'refused', refusal: reason });
      return { paid: false as const, reason, outTradeNo };
    };
    const agreementNo = await agreementOf(input);
    if (!agreementNo) return refuse('no_agreement');
    await ledger(outTradeNo, 'created', '', amount, input.currency, null);
    try {
      const r = await payments.payByAgreement({
        outTradeNo,
        agreementNo,
        amountMinor: amount,
        currency: input.currency,
        subject: `Transit ${input.serviceDay}`,
        notifyUrl: deps.notifyUrl,
      });
      return paid(r.tradeNo, r.amountMinor, r.currency);
    } catch (err) {
      if (!(err instanceof DomainError) || err.retryable) throw err;
      // An overlapping run of this same attempt (a timed-out activity still running) may have paid
      // it: the platform then refuses the repeat. Its word on the trade decides, never the refusal.
      const now = await payments.query(outTradeNo);
      if (now.status === 'TRADE_SUCCESS' || now.status === 'TRADE_FINISHED') return paid(now.tradeNo, now.amountMinor, now.currency);
      return refuse(chargeRefusalOf(typeof err.details.subCode === 'string' ? err.details.subCode : undefined));
    }
  };

  /** Gives back `amount` from the day's paid trades, newest first. Returns what was refunded. */
  const refund = async (input: SettleRiderDayInput, amount: number): Promise<number> => {
    let left = amount;
    for (const t of await tradesOfDay(db, input)) {
      if (left <= 0) break;
      const refundable = t.status === 'paid' ? t.amount_minor - t.refunded_minor : 0;
      if (refundable <= 0) continue;
      const part = Math.min(refundable, left);
      const outRequestNo = refundRequestNo(t.out_trade_no, input.revision);
      const r = await payments.refund({
        outTradeNo: t.out_trade_no,
        outRequestNo,
        refundMinor: part,
        currency: t.currency,
        reason: `Transit ${input.serviceDay}: re-priced`,
      });
      await recordTradeRefunded(db, t.out_trade_no, r.totalRefundedMinor);
      await ledger(t.out_trade_no, 'refunded', outRequestNo, -part, t.currency, r.tradeNo);
      // A debt paid by QR code is also a row of `payments`: keep its refunded amount true there too.
      await db.query(
        `UPDATE payments SET refunded_minor = GREATEST(refunded_minor, $2),
           status = CASE WHEN GREATEST(refunded_minor, $2) >= amount_minor THEN 'refunded' ELSE 'partially_refunded' END,
           updated_at = now() WHERE out_trade_no = $1`,
        [t.out_trade_no, r.totalRefundedMinor],
      );
      left -= part;
    }
    return amount - left;
  };

  /** Charges or refunds the difference between what the day costs and what it has been paid. */
  const settle = async (input: SettleRiderDayInput): Promise<SettleRiderDayResult> => {
    const before = paidOf(await tradesOfDay(db, input));
    const difference = input.dueMinor - before;
    const done = (charged: number, refunded: number, waived: number): SettleRiderDayResult => {
      const paidMinor = before + charged - refunded;
      return {
        outcome: paidMinor > 0 ? 'settled' : 'nothing_due',
        paidMinor,
        chargedMinor: charged,
        refundedMinor: refunded,
        waivedMinor: waived,
      };
    };
    if (difference === 0) return done(0, 0, 0);
    if (difference < 0) return done(0, await refund(input, -difference), 0);
    if (!input.chargeAllowed) return done(0, 0, difference);
    const r = await charge(input, difference);
    if (r.paid) return done(r.amount, 0, 0);
    return { outcome: 'refused', paidMinor: before, owedMinor: difference, reason: r.reason, outTradeNo: r.outTradeNo };
  };

  /**
   * A rider who asked to cancel keeps their agreement until every day they rode is settled: when this
   * day was the last one open, the agreement is unsigned now.
   */
  const finishCancellation = async (k: DayKey): Promise<void> => {
    const rider: Array<{ id: string; status: string }> = await db.query(
      `SELECT id, status FROM transit_riders WHERE operator_id = $1 AND rider_ref = $2`,
      [k.operatorId, k.riderRef],
    );
    if (rider[0]?.status !== 'cancelling') return;
    const open: unknown[] = await db.query(
      `SELECT 1 FROM rider_day_views WHERE operator_id = $1 AND rider_ref = $2 AND service_day <> $3
          AND stage IN ('priced', 'awaiting_settlement', 'charge_retrying', 'in_debt') LIMIT 1`,
      [k.operatorId, k.riderRef, k.serviceDay],
    );
    if (open.length === 0) await completeCancellation({ db, payments }, rider[0].id);
  };

  return withFailureMapping({
    async settleRiderDay(input: SettleRiderDayInput): Promise<SettleRiderDayResult> {
      const result = await settle(input);
      if (result.outcome !== 'refused') await finishCancellation(input);
      return result;
    },

    /** A debt payment by QR code (the payment saga's order) counts toward the day like a charge. */
    async recordRiderDebtPayment(
      input: DayKey & { revision: number; outTradeNo: string; tradeNo: string; amountMinor: number; currency: string },
    ): Promise<void> {
      await insertPendingTrade(db, { ...input, purpose: 'debt_payment' });
      await settleTrade(db, input.outTradeNo, { status: 'paid', tradeNo: input.tradeNo });
    },

    /** Past the retry policy: the day's debt is opened and the rider's live pseudonyms are denied. */
    async openRiderDebt(
      input: DayKey & { owedMinor: number; currency: string; reason: string },
    ): Promise<{ denyListVersion: number | null }> {
      return openDebt(db, { ...input, amountMinor: input.owedMinor });
    },

    /** The day owes nothing any more (paid, or re-priced down): a rider with no other debt is let through again. */
    async closeRiderDebt(input: DayKey & { status: 'paid' | 'cleared' }): Promise<{ denyListVersion: number | null }> {
      return closeDebt(db, input);
    },
  });
}
export type TransitSettlementActivities = ReturnType<typeof createTransitSettlementActivities>;
