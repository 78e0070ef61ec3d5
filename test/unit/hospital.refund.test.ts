import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { HospitalPolicy } from '../../domain/hospital/policy';
import { cancellationRefund, noShowRefund } from '../../domain/hospital/refund';

/** The DomainError code `fn` throws, or what it threw otherwise. */
function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : err;
  }
  return undefined;
}

const H = 3_600_000;
const start = Date.parse('2024-03-02T01:00:00Z');
const percent = HospitalPolicy.parse({ fullRefundCutoffMinutes: 24 * 60, lateCancellation: { kind: 'percentFee', feeBasisPoints: 2_000 } });
const fixed = HospitalPolicy.parse({ fullRefundCutoffMinutes: 120, lateCancellation: { kind: 'fixedFee', feeMinor: 500 } });
const none = HospitalPolicy.parse({ fullRefundCutoffMinutes: 60, lateCancellation: { kind: 'noRefund' } });
const patient = (paidMinor: number, cancelledAtMs: number) => ({
  paidMinor,
  slotStartMs: start,
  cancelledAtMs,
  initiatedBy: 'patient' as const,
});

describe('cancellation refund', () => {
  it('refunds in full strictly before the cut-off', () => {
    expect(cancellationRefund(patient(5_000, start - 25 * H), percent)).toEqual({ refundMinor: 5_000, feeMinor: 0, rule: 'before_cutoff' });
    expect(cancellationRefund(patient(5_000, start - 24 * H - 1), percent).rule).toBe('before_cutoff');
  });

  it('applies the late rule from the cut-off until the slot starts', () => {
    expect(cancellationRefund(patient(5_000, start - 24 * H), percent)).toEqual({
      refundMinor: 4_000,
      feeMinor: 1_000,
      rule: 'late_percent_fee',
    });
    expect(cancellationRefund(patient(5_000, start - 1), percent).rule).toBe('late_percent_fee');
    expect(cancellationRefund(patient(5_000, start - H), fixed)).toEqual({ refundMinor: 4_500, feeMinor: 500, rule: 'late_fixed_fee' });
    expect(cancellationRefund(patient(5_000, start - 30 * 60_000), none)).toEqual({
      refundMinor: 0,
      feeMinor: 5_000,
      rule: 'late_no_refund',
    });
  });

  it("rounds the percentage fee down to the minor unit (the fraction is the patient's)", () => {
    // 20 % of 1 999 = 399.8 → fee 399, refund 1 600.
    expect(cancellationRefund(patient(1_999, start - H), percent)).toMatchObject({ feeMinor: 399, refundMinor: 1_600 });
    const third = HospitalPolicy.parse({ lateCancellation: { kind: 'percentFee', feeBasisPoints: 3_333 } });
    expect(cancellationRefund(patient(1, start - H), third)).toMatchObject({ feeMinor: 0, refundMinor: 1 });
  });

  it('caps a fixed fee at what was paid', () => {
    expect(cancellationRefund(patient(300, start - H), fixed)).toEqual({ refundMinor: 0, feeMinor: 300, rule: 'late_fixed_fee' });
  });

  it('refunds nothing at or after the slot start', () => {
    expect(cancellationRefund(patient(5_000, start), percent)).toEqual({ refundMinor: 0, feeMinor: 5_000, rule: 'after_start' });
    expect(cancellationRefund(patient(5_000, start + H), fixed).refundMinor).toBe(0);
    expect(noShowRefund(5_000)).toEqual({ refundMinor: 0, feeMinor: 5_000, rule: 'no_show' });
  });

  it('refunds in full whenever the hospital cancels', () => {
    expect(cancellationRefund({ ...patient(5_000, start + H), initiatedBy: 'institution' }, none)).toEqual({
      refundMinor: 5_000,
      feeMinor: 0,
      rule: 'institution_cancelled',
    });
  });

  it('stays exact for amounts near the safe-integer limit', () => {
    const big = Number.MAX_SAFE_INTEGER; // 9 007 199 254 740 991 × 20 % overflows a double's precision
    const d = cancellationRefund(patient(big, start - H), percent);
    expect(BigInt(d.feeMinor)).toBe((BigInt(big) * 2_000n) / 10_000n);
    expect(d.feeMinor + d.refundMinor).toBe(big);
  });

  it('rejects negative or fractional amounts', () => {
    expect(thrownCode(() => cancellationRefund(patient(-1, start - H), percent))).toBe(ErrorCode.ValidationFailed);
    expect(thrownCode(() => cancellationRefund(patient(10.5, start - H), percent))).toBe(ErrorCode.ValidationFailed);
    expect(thrownCode(() => noShowRefund(-5))).toBe(ErrorCode.ValidationFailed);
  });

  it('for any policy and moment: 0 ≤ refund ≤ paid, refund + fee = paid, and later never refunds more', () => {
    const rule = fc.oneof(
      fc.record({ kind: fc.constant('percentFee' as const), feeBasisPoints: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ kind: fc.constant('fixedFee' as const), feeMinor: fc.integer({ min: 0, max: 1_000_000 }) }),
      fc.constant({ kind: 'noRefund' as const }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        rule,
        fc.integer({ min: 0, max: 7 * 24 * 60 }),
        fc.integer({ min: -10 * 24 * H, max: 2 * H }),
        fc.integer({ min: 0, max: 24 * H }),
        (paid, lateCancellation, fullRefundCutoffMinutes, offset, delay) => {
          const policy = { fullRefundCutoffMinutes, lateCancellation };
          const d = cancellationRefund(patient(paid, start + offset), policy);
          expect(Number.isInteger(d.refundMinor)).toBe(true);
          expect(d.refundMinor).toBeGreaterThanOrEqual(0);
          expect(d.refundMinor).toBeLessThanOrEqual(paid);
          expect(d.refundMinor + d.feeMinor).toBe(paid);
          expect(cancellationRefund(patient(paid, start + offset + delay), policy).refundMinor).toBeLessThanOrEqual(d.refundMinor);
        },
      ),
    );
  });
});
