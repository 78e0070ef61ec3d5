import { CancellationScope, condition, isCancellation, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { nextWaitMs } from '../../domain/paymentPolling';
import { refundRequestNoFor } from '../../domain/ids';
import type { PaymentActivities } from '../../activities/payment';
import { cancelPaymentSignal, paymentNotifiedSignal, paymentViewQuery } from './definitions';
import type { CollectPaymentInput, PaymentNotified, PaymentOutcome, PaymentView } from './types';

// Shorter than the time a crashed worker's activity would otherwise block the step; every call is idempotent.
const acts = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
});

const isPaid = (n: PaymentNotified | undefined): n is PaymentNotified =>
  n !== undefined && (n.tradeStatus === 'TRADE_SUCCESS' || n.tradeStatus === 'TRADE_FINISHED');

/**
 * The payment saga shared by every journey: create the order (idempotent on the merchant order
 * number) → wait for the verified notification, querying with backoff when it is late → paid, or
 * closed at the deadline. Refunds are a separate activity the journey calls as compensation.
 *
 * Cancelled (the journey ended: its parent closed with the request-cancel policy, or was cancelled
 * by an operator), the order is closed so its QR code cannot be paid; money that made it before the
 * close is refunded here, money after it by the late-payment refund.
 */
export async function collectPayment(input: CollectPaymentInput): Promise<PaymentOutcome> {
  let notified: PaymentNotified | undefined;
  let cancelled = false;
  let status: PaymentView['status'] = 'awaiting_payment';
  setHandler(paymentNotifiedSignal, (n) => {
    // Out-of-order or repeated notifications must not move a payment backwards.
    if (isPaid(n)) notified = n;
  });
  setHandler(cancelPaymentSignal, () => {
    cancelled = true;
  });
  setHandler(paymentViewQuery, () => ({
    status,
    outTradeNo: input.outTradeNo,
    amountMinor: input.amountMinor,
    currency: input.currency,
    deadlineMs: input.deadlineMs,
  }));

  const recordPaid = async (n: PaymentNotified): Promise<PaymentOutcome> => {
    const paid = await acts.recordPaymentSucceeded({ outTradeNo: input.outTradeNo, tradeNo: n.tradeNo ?? '', amountMinor: n.amountMinor });
    status = 'paid';
    return { status: 'paid', outTradeNo: input.outTradeNo, tradeNo: paid.tradeNo, amountMinor: paid.amountMinor };
  };

  const collect = async (): Promise<PaymentOutcome> => {
    // Never abandoned half-way: a cancel during creation would leave an order we then fail to close.
    await CancellationScope.nonCancellable(() => acts.createPaymentOrder(input));
    for (let attempt = 0; ; attempt++) {
      const wait = nextWaitMs(Date.now(), input.deadlineMs, attempt);
      if (wait > 0) await condition(() => notified !== undefined || cancelled, wait);
      if (isPaid(notified)) return recordPaid(notified);
      // No notification yet: ask the platform (a lost notification must not lose a payment).
      const state = await acts.queryPayment({ outTradeNo: input.outTradeNo });
      if (state.status === 'TRADE_SUCCESS' || state.status === 'TRADE_FINISHED') {
        notified = { version: 1, tradeStatus: state.status, tradeNo: state.tradeNo, amountMinor: state.amountMinor };
        continue;
      }
      if (cancelled || Date.now() >= input.deadlineMs) {
        const closed = await acts.closePaymentOrder({ outTradeNo: input.outTradeNo });
        if (closed.status === 'paid') {
          // Paid in the last instant before the close reached the platform: keep the money, it is the user's booking.
          notified = { version: 1, tradeStatus: 'TRADE_SUCCESS', tradeNo: closed.tradeNo, amountMinor: closed.amountMinor };
          continue;
        }
        // A notification that arrived while the close ran is the platform's word that the buyer paid first.
        if (isPaid(notified)) continue;
        status = 'closed';
        log.info('payment closed unpaid', { outTradeNo: input.outTradeNo, cancelled });
        return { status: 'closed', outTradeNo: input.outTradeNo, reason: cancelled ? 'cancelled' : 'deadline' };
      }
    }
  };

  try {
    return await collect();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return CancellationScope.nonCancellable(async () => {
      const closed = await acts.closePaymentOrder({ outTradeNo: input.outTradeNo });
      const paidBeforeClose: PaymentNotified | undefined =
        closed.status === 'paid'
          ? { version: 1, tradeStatus: 'TRADE_SUCCESS', tradeNo: closed.tradeNo, amountMinor: closed.amountMinor }
          : isPaid(notified)
            ? notified
            : undefined;
      if (paidBeforeClose) {
        // Nobody is left to deliver the service: record the money and hand it back.
        await recordPaid(paidBeforeClose);
        await acts.refundPayment({
          outTradeNo: input.outTradeNo,
          outRequestNo: refundRequestNoFor(input.outTradeNo, 'cancelled'),
          amountMinor: input.amountMinor,
          reason: 'journey cancelled',
        });
      }
      status = 'closed';
      log.info('payment cancelled', { outTradeNo: input.outTradeNo, refunded: paidBeforeClose !== undefined });
      return { status: 'closed', outTradeNo: input.outTradeNo, reason: 'cancelled' } as const;
    });
  }
}
