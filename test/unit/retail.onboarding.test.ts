import fc from 'fast-check';
import { CHECKS, compareNames, decideApplication, normalizeName, type CheckResult } from '../../domain/retail/onboarding';

const pass = (check: CheckResult['check']): CheckResult => ({ check, outcome: 'pass', reason: null });

describe('decideApplication', () => {
  it('approves when every check passes', () => {
    expect(decideApplication(CHECKS.map(pass))).toEqual({ decision: 'approve' });
  });

  it('rejects naming every failed check, in the checks’ order, even when another asks for review', () => {
    expect(
      decideApplication([
        { check: 'district', outcome: 'fail', reason: 'unknown_district' },
        { check: 'registry', outcome: 'review', reason: 'name_close' },
        { check: 'uscc_format', outcome: 'fail', reason: 'check_character' },
        { check: 'legal_representative', outcome: 'fail', reason: 'identity_mismatch' },
      ]),
    ).toEqual({
      decision: 'reject',
      failed: [
        { check: 'uscc_format', reason: 'check_character' },
        { check: 'legal_representative', reason: 'identity_mismatch' },
        { check: 'district', reason: 'unknown_district' },
      ],
    });
  });

  it('sends to review when nothing failed and something asks for it', () => {
    expect(
      decideApplication([pass('uscc_format'), { check: 'registry', outcome: 'review', reason: 'unavailable' }, pass('district')]),
    ).toEqual({ decision: 'review', reasons: [{ check: 'registry', reason: 'unavailable' }] });
  });

  const result = fc.record({
    check: fc.constantFrom(...CHECKS),
    outcome: fc.constantFrom('pass' as const, 'fail' as const, 'review' as const),
    reason: fc.option(fc.constantFrom('revoked', 'not_found', 'name_close', 'unavailable'), { nil: null }),
  });

  it('property: rejects exactly when a check failed, naming each failure once; reviews only without failures', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 8 }), (results) => {
        const d = decideApplication(results);
        const fails = results.filter((r) => r.outcome === 'fail');
        const reviews = results.filter((r) => r.outcome === 'review');
        if (fails.length > 0) {
          expect(d.decision).toBe('reject');
          if (d.decision === 'reject') expect(d.failed).toHaveLength(fails.length);
        } else if (reviews.length > 0) {
          expect(d).toEqual({ decision: 'review', reasons: expect.any(Array) });
          if (d.decision === 'review') expect(d.reasons).toHaveLength(reviews.length);
        } else expect(d).toEqual({ decision: 'approve' });
      }),
    );
  });

  it('property: the order the checks answered in does not matter', () => {
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 8 }).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }))),
        ([a, b]) => {
          expect(decideApplication(b)).toEqual(decideApplication(a));
        },
      ),
    );
  });
});

describe('compareNames', () => {
  it('ignores spaces, interpuncts and case', () => {
    expect(compareNames('阿依古丽·买买提', '阿依古丽买买提')).toBe('same');
    expect(compareNames('Zhang  San', 'zhang san')).toBe('same');
  });

  it('calls one character off "close", more "different"', () => {
    expect(compareNames('张三丰', '张三峰')).toBe('close');
    expect(compareNames('张三', '张山')).toBe('close');
    expect(compareNames('张三', '李四')).toBe('different');
    expect(compareNames('王', '汪')).toBe('different');
    expect(compareNames('', '张三')).toBe('different');
  });

  const name = fc.string({ unit: fc.constantFrom(...'张三李四王五赵钱孙abcdefg'), minLength: 1, maxLength: 12 });

  it('property: symmetric, and a name is the same as itself however it is spaced', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(compareNames(a, b)).toBe(compareNames(b, a));
        expect(compareNames(a, ` ${a.split('').join(' ')} `)).toBe('same');
      }),
    );
  });

  it('property: one changed character of a name of two or more is close, never the same', () => {
    fc.assert(
      fc.property(name, fc.nat(), fc.constantFrom(...'甲乙丙丁xyz'), (a, at, c) => {
        fc.pre(a.length >= 2);
        const i = at % a.length;
        const b = a.slice(0, i) + c + a.slice(i + 1);
        expect(compareNames(a, b)).toBe(normalizeName(a) === normalizeName(b) ? 'same' : 'close');
      }),
    );
  });
});
