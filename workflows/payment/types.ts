import { z } from 'zod';

export const PAYMENT_TASK_STEP = 'payment';

export const CollectPaymentInput = z.object({
  version: z.literal(1),
  outTradeNo: z.string().min(1).max(64),
  journeyId: z.string(),
  step: z.string(),
  institutionId: z.string(),
  userRef: z.string(),
  amountMinor: z.number().int().positive(),
  currency: z.string().length(3),
  subject: z.string().max(128),
  /** Epoch ms after which the order is closed unpaid. */
  deadlineMs: z.number().int(),
});
export type CollectPaymentInput = z.infer<typeof CollectPaymentInput>;

export const PaymentNotified = z.object({
  version: z.literal(1),
  tradeStatus: z.enum(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']),
  tradeNo: z.string().optional(),
  amountMinor: z.number().int().nonnegative(),
});
export type PaymentNotified = z.infer<typeof PaymentNotified>;

export const PaymentOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('paid'), outTradeNo: z.string(), tradeNo: z.string(), amountMinor: z.number().int() }),
  z.object({ status: z.literal('closed'), outTradeNo: z.string(), reason: z.enum(['deadline', 'cancelled']) }),
]);
export type PaymentOutcome = z.infer<typeof PaymentOutcome>;

export interface PaymentView {
  status: 'awaiting_payment' | 'paid' | 'closed';
  outTradeNo: string;
  amountMinor: number;
  currency: string;
  deadlineMs: number;
}
