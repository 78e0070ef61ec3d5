import fc from 'fast-check';
import { chargeRefusalOf, DEFAULT_CHARGE_RETRY_OFFSETS_MS, nextChargeAttemptAt } from '../../domain/transit/chargeRetry';

const DAY = 86_400_000;

describe('nextChargeAttemptAt', () => {
  it('tries a day, 10 days and 30 days after the first refusal, then gives up', () => {
    const t0 = Date.UTC(2026, 11, 1);
    expect(nextChargeAttemptAt(DEFAULT_CHARGE_RETRY_OFFSETS_MS, t0, 1)).toBe(t0 + DAY);
    expect(nextChargeAttemptAt(DEFAULT_CHARGE_RETRY_OFFSETS_MS, t0, 2)).toBe(t0 + 10 * DAY);
    expect(nextChargeAttemptAt(DEFAULT_CHARGE_RETRY_OFFSETS_MS, t0, 3)).toBe(t0 + 30 * DAY);
    expect(nextChargeAttemptAt(DEFAULT_CHARGE_RETRY_OFFSETS_MS, t0, 4)).toBeNull();
  });

  it('with no retries the first refusal is a debt', () => {
    expect(nextChargeAttemptAt([], 0, 1)).toBeNull();
  });

  it('takes misordered offsets in ascending order', () => {
    expect(nextChargeAttemptAt([30, 10, 20], 100, 1)).toBe(110);
    expect(nextChargeAttemptAt([30, 10, 20], 100, 3)).toBe(130);
  });

  it('refuses to schedule before any refusal', () => {
    expect(() => nextChargeAttemptAt([1], 0, 0)).toThrow(RangeError);
  });

  it('attempts never go back in time and stop after as many retries as offsets', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 * DAY }), { maxLength: 6 }), fc.nat({ max: 2 ** 40 }), (offsets, t0) => {
        let last = t0;
        for (let n = 1; n <= offsets.length; n++) {
          const at = nextChargeAttemptAt(offsets, t0, n);
          expect(at).not.toBeNull();
          expect(at!).toBeGreaterThanOrEqual(last);
          last = at!;
        }
        expect(nextChargeAttemptAt(offsets, t0, offsets.length + 1)).toBeNull();
      }),
    );
  });
});

describe('chargeRefusalOf', () => {
  it("names the platform's refusals in the rider's words", () => {
    expect(chargeRefusalOf('ACQ.BUYER_BALANCE_NOT_ENOUGH')).toBe('insufficient_balance');
    expect(chargeRefusalOf('ACQ.AGREEMENT_NOT_EXIST')).toBe('agreement_invalid');
    expect(chargeRefusalOf('ACQ.AGREEMENT_INVALID')).toBe('agreement_invalid');
    expect(chargeRefusalOf('ACQ.RISK_CONTROL')).toBe('declined');
    expect(chargeRefusalOf(undefined)).toBe('declined');
  });
});
