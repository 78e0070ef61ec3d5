import { proxyActivities } from '@temporalio/workflow';
import { refundRequestNoFor } from '../../domain/ids';
import type { PaymentActivities } from '../../activities/payment';

const acts = proxyActivities<Pick<PaymentActivities, 'recordLatePayment' | 'refundPayment'>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export interface LatePaymentRefundInput {
  version: 1;
  outTradeNo: string;
  tradeNo: string;
  amountMinor: number;
}

/**
 * A payment made after its order was closed (the journey had moved on): the money is recorded in
 * the ledger and handed back in full, so nobody pays for a service that was cancelled or expired.
 */
export async function latePaymentRefund(input: LatePaymentRefundInput): Promise<{ refundedMinor: number }> {
  await acts.recordLatePayment({ outTradeNo: input.outTradeNo, tradeNo: input.tradeNo, amountMinor: input.amountMinor });
  return acts.refundPayment({
    outTradeNo: input.outTradeNo,
    outRequestNo: refundRequestNoFor(input.outTradeNo, 'late'),
    amountMinor: input.amountMinor,
    reason: 'paid after the order was closed',
  });
}
