import type { Allocation, OrderLine } from '../../../domain/retail/allocation';
import type { CouponTerms } from '../../../domain/retail/refunds';
import type { AccrualRules } from '../../../domain/retail/points';

/**
 * A face-to-face order at a merchant's till (`retail-order/<merchant>/<order-ref>`): priced with the
 * shopper's coupons, paid by the shopper's payment code, then open for refunds until its window ends.
 */
export type RetailOrderStage =
  | 'pricing'
  | 'paying'
  /** Paid; refunds are possible until the window ends, the points earned are pending. */
  | 'paid'
  /** The window ended: points are available, no more refunds. */
  | 'closed'
  /** A coupon could not be used (taken, budget spent…): nothing was charged. */
  | 'refused'
  /** The payment was declined, or the buyer never confirmed and the trade was cancelled: nothing kept. */
  | 'payment_failed';

export interface RetailOrderInput {
  version: 1;
  merchantId: string;
  orderRef: string;
  /** The shopper as a member (coupons and points), when the till knows them; null for a walk-in. */
  userId: string | null;
  lines: OrderLine[];
  couponIds: string[];
  /** The shopper's payment code: short-lived, encrypted in Temporal payloads, never logged. */
  authCode: string;
  subject: string;
  refundWindowSeconds: number;
  /** After USERPAYING, waits before each query; the trade is cancelled after the last. */
  userPayingPollSeconds: number[];
  accrual: AccrualRules | null;
  /** Points the shopper asked to spend (absent: none), at the merchant's rate and cap. */
  redeemPoints?: number;
  redemption?: { minorPerPoint: number; maxShare: number };
}

export interface PricedOrder {
  allocation: Allocation;
  coupons: CouponTerms[];
  /** Points each unit earns, by unit id. */
  unitPoints: Record<string, number>;
  /** Points spent on this order (taken from the shopper's available points; 0 or absent: none). */
  pointsRedeemed?: number;
}

export type PricingResult = ({ ok: true } & PricedOrder) | { ok: false; reason: string; couponId?: string };

export interface RefundRequest {
  /** The till's refund number: the same number is the same refund (a retry answers the first result). */
  refundNo: string;
  unitIds: string[];
}

export interface RefundOutcome {
  refundNo: string;
  unitIds: string[];
  refundMinor: number;
  unitsPaidMinor: number;
  clawedBackMinor: number;
  /** Claw-backs taken earlier on the units refunded now, returned with them (absent before that patch). */
  clawBackReturnedMinor?: number;
  couponSharesMinor: Record<string, number>;
  couponsReturned: string[];
  pointsReversed: number;
  /** Spent points given back with the refunded units. */
  pointsRestored?: number;
}

/** The order as the read model holds it (and the POS and the shopper read it). */
export interface RetailOrderView {
  merchantId: string;
  orderRef: string;
  stage: RetailOrderStage;
  reason: string | null;
  totalMinor: number;
  paidMinor: number;
  refundedMinor: number;
  outTradeNo: string;
  tradeStatus: 'none' | 'paid' | 'user_paying' | 'cancelled' | 'declined';
  allocation: Allocation | null;
  pointsPending: number;
  /** Points spent as a discount on this order. */
  pointsRedeemed?: number;
  refunds: RefundOutcome[];
  refundWindowEndsAt: string | null;
}

export interface RetailOrderOutcome {
  stage: RetailOrderStage;
  paidMinor: number;
  refundedMinor: number;
}
