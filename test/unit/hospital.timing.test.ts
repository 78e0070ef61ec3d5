import fc from 'fast-check';
import { DomainError } from '../../domain/errors';
import { DEFAULT_HOSPITAL_POLICY, HospitalPolicy } from '../../domain/hospital/policy';
import { isNoShow, noShowAt, paymentDeadline, reminderAt } from '../../domain/hospital/timing';

const MIN = 60_000;
const start = Date.parse('2024-03-02T01:00:00Z');

describe('reminder', () => {
  it('goes out the lead time before the slot, at once for late bookings, never for past slots', () => {
    expect(reminderAt({ slotStartMs: start, bookedAtMs: start - 3 * 24 * 60 * MIN, leadMinutes: 120 })).toBe(start - 120 * MIN);
    expect(reminderAt({ slotStartMs: start, bookedAtMs: start - 30 * MIN, leadMinutes: 120 })).toBe(start - 30 * MIN);
    expect(reminderAt({ slotStartMs: start, bookedAtMs: start, leadMinutes: 120 })).toBeNull();
  });

  it('is never before the booking nor after the slot start', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000 * MIN, max: 100 * MIN }), fc.integer({ min: 0, max: 7 * 24 * 60 }), (offset, lead) => {
        const at = reminderAt({ slotStartMs: start, bookedAtMs: start + offset, leadMinutes: lead });
        if (offset >= 0) return expect(at).toBeNull();
        expect(at).not.toBeNull();
        expect(at!).toBeGreaterThanOrEqual(start + offset);
        expect(at!).toBeLessThanOrEqual(start);
      }),
    );
  });

  it('rejects bad inputs', () => {
    expect(() => reminderAt({ slotStartMs: start, bookedAtMs: start - MIN, leadMinutes: -1 })).toThrow(DomainError);
    expect(() => reminderAt({ slotStartMs: Number.NaN, bookedAtMs: start, leadMinutes: 1 })).toThrow(DomainError);
  });
});

describe('payment deadline', () => {
  it('is the hold time after holding, but never after the slot start', () => {
    expect(paymentDeadline({ heldAtMs: start - 60 * MIN, slotStartMs: start, holdMinutes: 15 })).toBe(start - 45 * MIN);
    expect(paymentDeadline({ heldAtMs: start - 5 * MIN, slotStartMs: start, holdMinutes: 15 })).toBe(start);
    expect(paymentDeadline({ heldAtMs: start - 60 * MIN, slotStartMs: start, holdMinutes: DEFAULT_HOSPITAL_POLICY.holdMinutes })).toBe(
      start - 45 * MIN,
    );
  });
});

describe('no-show', () => {
  const grace = 15;
  it('is decided only after the grace period', () => {
    expect(noShowAt({ slotStartMs: start, graceMinutes: grace })).toBe(start + 15 * MIN);
    expect(isNoShow({ slotStartMs: start, graceMinutes: grace, checkedInAtMs: null, nowMs: start + 15 * MIN })).toBe(false);
    expect(isNoShow({ slotStartMs: start, graceMinutes: grace, checkedInAtMs: null, nowMs: start + 15 * MIN + 1 })).toBe(true);
  });

  it('a check-in within the grace period counts; one after it does not', () => {
    expect(isNoShow({ slotStartMs: start, graceMinutes: grace, checkedInAtMs: start + 10 * MIN, nowMs: start + 60 * MIN })).toBe(false);
    expect(isNoShow({ slotStartMs: start, graceMinutes: grace, checkedInAtMs: start + 15 * MIN, nowMs: start + 60 * MIN })).toBe(false);
    expect(isNoShow({ slotStartMs: start, graceMinutes: grace, checkedInAtMs: start + 16 * MIN, nowMs: start + 60 * MIN })).toBe(true);
  });
});

describe('policy defaults', () => {
  it('parse to a complete policy and reject nonsense', () => {
    expect(DEFAULT_HOSPITAL_POLICY).toEqual({
      fullRefundCutoffMinutes: 1440,
      lateCancellation: { kind: 'percentFee', feeBasisPoints: 2_000 },
      reminderLeadMinutes: 120,
      holdMinutes: 15,
      noShowGraceMinutes: 15,
      visitQuietCloseSeconds: 3_600,
      hisUndoGiveUpSeconds: 86_400,
    });
    expect(HospitalPolicy.safeParse({ visitQuietCloseSeconds: -1 }).success).toBe(false);
    expect(HospitalPolicy.safeParse({ lateCancellation: { kind: 'percentFee', feeBasisPoints: 10_001 } }).success).toBe(false);
    expect(HospitalPolicy.safeParse({ lateCancellation: { kind: 'fixedFee', feeMinor: -1 } }).success).toBe(false);
    expect(HospitalPolicy.safeParse({ holdMinutes: 0 }).success).toBe(false);
    expect(HospitalPolicy.safeParse({ hisUndoGiveUpSeconds: 0 }).success).toBe(false);
  });
});
