import { condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { nextWaitMs } from '../../domain/paymentPolling';
import type { PaymentActivities } from '../../activities/payment';
import { cancelPaymentSignal, paymentNotifiedSignal, paymentViewQuery } from './definitions';
import type { CollectPaymentInput, PaymentNotified, PaymentOutcome, PaymentView } from './types';

// Shorter than the time a crashed worker's activity would otherwise block the step; every call is idempotent.
const acts = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
});

/**
 * The payment saga shared by every journey: create the order (idempotent on the merchant order
 * number) → wait for the verified notification, querying with backoff when it is late → paid, or
 * closed at the deadline. Refunds are a separate activity the journey calls as compensation.
 */
export async function collectPayment(input: CollectPaymentInput): Promise<PaymentOutcome> {
  let notified: PaymentNotified | undefined;
  let cancelled = false;
  let status: PaymentView['status'] = 'awaiting_payment';
  setHandler(paymentNotifiedSignal, (n) => {
    // Out-of-order or repeated notifications must not move a payment backwards.
    if (n.tradeStatus === 'TRADE_SUCCESS' || n.tradeStatus === 'TRADE_FINISHED') notified = n;
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

  await acts.createPaymentOrder(input);

  for (let attempt = 0; ; attempt++) {
    const wait = nextWaitMs(Date.now(), input.deadlineMs, attempt);
    if (wait > 0) await condition(() => notified !== undefined || cancelled, wait);
    if (notified) {
      const paid = await acts.recordPaymentSucceeded({
        outTradeNo: input.outTradeNo,
        tradeNo: notified.tradeNo ?? '',
        amountMinor: notified.amountMinor,
      });
      status = 'paid';
      return { status: 'paid', outTradeNo: input.outTradeNo, tradeNo: paid.tradeNo, amountMinor: paid.amountMinor };
    }
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
      status = 'closed';
      log.info('payment closed unpaid', { outTradeNo: input.outTradeNo, cancelled });
      return { status: 'closed', outTradeNo: input.outTradeNo, reason: cancelled ? 'cancelled' : 'deadline' };
    }
  }
}
