/**
 * Deterministic identifiers. Workflow ids say what they are; the merchant order number is derived
 * from the journey and the step, so a retried activity or a restarted worker can never create a
 * second charge for the same step.
 */
const SAFE = /[^A-Za-z0-9]/g;

export function outTradeNoFor(journeyKey: string, step: string): string {
  const value = `${journeyKey}_${step}`.replace(SAFE, '_');
  if (value.length > 64) throw new Error(`merchant order number longer than 64 characters: ${value.length}`);
  return value;
}

export function refundRequestNoFor(outTradeNo: string, reason: string): string {
  const value = `${outTradeNo}_R_${reason}`.replace(SAFE, '_');
  return value.slice(0, 64);
}

export const workflowIds = {
  hospitalVisit: (institutionId: string, bookingRef: string) => `hospital-visit/${institutionId}/${bookingRef}`,
  doctorQueue: (institutionId: string, doctorId: string, day: string) => `doctor-queue/${institutionId}/${doctorId}/${day}`,
  payment: (outTradeNo: string) => `payment/${outTradeNo}`,
  latePaymentRefund: (outTradeNo: string) => `late-payment-refund/${outTradeNo}`,
  identity: (userId: string) => `identity/${userId}`,
  reconciliation: (date: string) => `reconciliation/${date}`,
};
