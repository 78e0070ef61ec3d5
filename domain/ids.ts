import { sha256Hex } from './hash';

/**
 * Deterministic identifiers. Workflow ids say what they are; the merchant order number is derived
 * from the journey and the step, so a retried activity or a restarted worker can never create a
 * second charge for the same step.
 */
const SAFE = /[^A-Za-z0-9]/g;

/** The platform's limit for out_trade_no / out_request_no. */
export const MERCHANT_NO_MAX = 64;

/**
 * Hashes the exact parts, each length-prefixed, so no two different part lists (`A-1` vs `A_1`,
 * `o`,`A_r2` vs `o`,`A`,`r2`) hash alike whatever characters they hold. Pure JS: runs in workflows.
 */
export function hashOfParts(parts: readonly string[]): string {
  return sha256Hex(parts.map((p) => `${p.length}:${p}`).join('|'));
}

/**
 * Merchant order number: a readable prefix (for people reading bills and logs; it may be cut and
 * may repeat) + 128 bits of SHA-256 over the exact journey key and step parts, which is what makes
 * it unique. At most 63 characters of [A-Za-z0-9_], whatever the inputs' length or alphabet.
 */
export function merchantOrderNo(journeyKey: string, ...step: string[]): string {
  const readable = [journeyKey, ...step].join('_').replace(SAFE, '_').slice(0, 30);
  return `${readable}_${hashOfParts([journeyKey, ...step]).slice(0, 32)}`;
}

/**
 * The derivation before merchantOrderNo, kept because running visits recorded its ids in their
 * histories. It maps punctuation to `_` (so `A-1` and `A_1` collide) and was unbounded; beyond
 * 64 characters it now falls back to the hashed form instead of throwing inside a workflow.
 */
export function outTradeNoFor(journeyKey: string, step: string): string {
  const value = `${journeyKey}_${step}`.replace(SAFE, '_');
  return value.length > MERCHANT_NO_MAX ? merchantOrderNo(journeyKey, step) : value;
}

/** The merchant order number of a retail order's payment: the journey and the route both name it. */
export function retailOutTradeNo(merchantId: string, orderRef: string): string {
  return merchantOrderNo(`ro/${merchantId}/${orderRef}`, 'pay');
}

/** Refund request number for a reason; unchanged when it fits, hashed (never cut into a clash) when not. */
export function refundRequestNoFor(outTradeNo: string, reason: string): string {
  const value = `${outTradeNo}_R_${reason}`.replace(SAFE, '_');
  if (value.length <= MERCHANT_NO_MAX) return value;
  return `${outTradeNo.replace(SAFE, '_').slice(0, 28)}_R_${hashOfParts([outTradeNo, reason]).slice(0, 32)}`;
}

export const workflowIds = {
  hospitalVisit: (institutionId: string, bookingRef: string) => `hospital-visit/${institutionId}/${bookingRef}`,
  doctorQueue: (institutionId: string, doctorId: string, day: string) => `doctor-queue/${institutionId}/${doctorId}/${day}`,
  payment: (outTradeNo: string) => `payment/${outTradeNo}`,
  latePaymentRefund: (outTradeNo: string) => `late-payment-refund/${outTradeNo}`,
  identity: (userId: string) => `identity/${userId}`,
  reconciliation: (date: string) => `reconciliation/${date}`,
  transitDay: (operatorId: string, riderRef: string, serviceDay: string) => `transit-day/${operatorId}/${riderRef}/${serviceDay}`,
  retailOrder: (merchantId: string, orderRef: string) => `retail-order/${merchantId}/${orderRef}`,
  merchantOnboarding: (applicationId: string) => `merchant-onboarding/${applicationId}`,
};

/**
 * The booking ref of a booking request carrying an Idempotency-Key: the same caller (partner and
 * user) and key always name the same booking, so every step of a retried request (hold, row,
 * workflow) finds what the first attempt left instead of making a second booking.
 */
export function bookingRefFor(principal: string, idempotencyKey: string): string {
  return `B${hashOfParts(['booking', principal, idempotencyKey]).slice(0, 24).toUpperCase()}`;
}
