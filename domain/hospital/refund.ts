import { DomainError, ErrorCode } from '../errors';
import type { HospitalPolicy } from './policy';

/**
 * How much of a registration fee goes back when a booking ends early. Integer minor units only;
 * the percentage fee is rounded DOWN to the minor unit, so any fraction is the patient's.
 * The refund is never negative and never more than was paid.
 */
export type RefundRule =
  'institution_cancelled' | 'before_cutoff' | 'late_percent_fee' | 'late_fixed_fee' | 'late_no_refund' | 'after_start' | 'no_show';

export interface RefundDecision {
  refundMinor: number;
  feeMinor: number;
  rule: RefundRule;
}

export interface CancellationFacts {
  paidMinor: number;
  slotStartMs: number;
  cancelledAtMs: number;
  /** The hospital cancelling (doctor unavailable, session closed) always refunds in full. */
  initiatedBy: 'patient' | 'institution';
}

function assertPaid(paidMinor: number): void {
  if (!Number.isSafeInteger(paidMinor) || paidMinor < 0) {
    throw new DomainError(ErrorCode.ValidationFailed, 'paid amount must be a non-negative safe integer of minor units', {
      fields: [{ field: 'paidMinor', message: 'non-negative integer expected' }],
    });
  }
}

function decide(paidMinor: number, feeMinor: number, rule: RefundRule): RefundDecision {
  const fee = Math.min(Math.max(feeMinor, 0), paidMinor);
  return { refundMinor: paidMinor - fee, feeMinor: fee, rule };
}

export function cancellationRefund(
  facts: CancellationFacts,
  policy: Pick<HospitalPolicy, 'fullRefundCutoffMinutes' | 'lateCancellation'>,
): RefundDecision {
  const { paidMinor, slotStartMs, cancelledAtMs } = facts;
  assertPaid(paidMinor);
  if (facts.initiatedBy === 'institution') return decide(paidMinor, 0, 'institution_cancelled');
  if (cancelledAtMs >= slotStartMs) return decide(paidMinor, paidMinor, 'after_start');
  const cutoffMs = slotStartMs - policy.fullRefundCutoffMinutes * 60_000;
  if (cancelledAtMs < cutoffMs) return decide(paidMinor, 0, 'before_cutoff');
  const late = policy.lateCancellation;
  switch (late.kind) {
    case 'percentFee': {
      // BigInt: paid × 10 000 can pass 2^53 for large amounts.
      const fee = Number((BigInt(paidMinor) * BigInt(late.feeBasisPoints)) / 10_000n);
      return decide(paidMinor, fee, 'late_percent_fee');
    }
    case 'fixedFee':
      return decide(paidMinor, late.feeMinor, 'late_fixed_fee');
    case 'noRefund':
      return decide(paidMinor, paidMinor, 'late_no_refund');
  }
}

/** A no-show keeps the whole fee: the slot was held for the patient and could not be resold. */
export function noShowRefund(paidMinor: number): RefundDecision {
  assertPaid(paidMinor);
  return decide(paidMinor, paidMinor, 'no_show');
}
