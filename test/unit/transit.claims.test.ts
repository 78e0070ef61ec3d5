import fc from 'fast-check';
import { decideClaim, MAX_CLAIMS_PER_MONTH, type ClaimInput } from '../../domain/transit/claims';

const base: ClaimInput = {
  journey: {
    journeyId: 't1',
    kind: 'maximum_fare',
    incomplete: 'missing_tap_off',
    startedAt: '2026-12-01T00:00:00.000Z',
    fromStopId: 'M2',
  },
  toStopId: 'M3',
  knownStop: true,
  nextTapOn: null,
  acceptedThisMonth: 0,
};

describe('decideClaim', () => {
  it('accepts a forgotten tap-off at a known stop, a minute after the tap-on', () => {
    expect(decideClaim(base)).toEqual({ accepted: true, tapOffAt: Date.parse('2026-12-01T00:01:00.000Z') });
  });

  it('places the claimed exit before the next tap-on when that came within two minutes', () => {
    const r = decideClaim({ ...base, nextTapOn: { at: '2026-12-01T00:01:00.000Z', stopId: 'M3' } });
    expect(r).toEqual({ accepted: true, tapOffAt: Date.parse('2026-12-01T00:00:30.000Z') });
  });

  it('refuses journeys that are not missing their tap-off', () => {
    expect(decideClaim({ ...base, journey: { ...base.journey, kind: 'complete', incomplete: undefined } })).toEqual({
      accepted: false,
      reason: 'not_incomplete',
    });
    expect(decideClaim({ ...base, journey: { ...base.journey, incomplete: 'missing_tap_on' } })).toMatchObject({
      reason: 'not_incomplete',
    });
  });

  it('refuses an unknown stop, or the stop the journey began at', () => {
    expect(decideClaim({ ...base, knownStop: false })).toMatchObject({ reason: 'unknown_stop' });
    expect(decideClaim({ ...base, toStopId: 'M2' })).toMatchObject({ reason: 'unknown_stop' });
  });

  it('refuses a stop the next gated tap-on contradicts, but not a route-only bus tap', () => {
    expect(decideClaim({ ...base, nextTapOn: { at: '2026-12-01T05:00:00.000Z', stopId: 'M4' } })).toMatchObject({
      reason: 'inconsistent_with_taps',
    });
    expect(decideClaim({ ...base, nextTapOn: { at: '2026-12-01T05:00:00.000Z', stopId: null } })).toMatchObject({ accepted: true });
  });

  it(`allows ${MAX_CLAIMS_PER_MONTH} accepted claims a month`, () => {
    expect(decideClaim({ ...base, acceptedThisMonth: MAX_CLAIMS_PER_MONTH - 1 })).toMatchObject({ accepted: true });
    expect(decideClaim({ ...base, acceptedThisMonth: MAX_CLAIMS_PER_MONTH })).toEqual({ accepted: false, reason: 'monthly_limit' });
  });

  it('always puts an accepted exit after the tap-on and before the next tap-on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 * 3600_000 }), (gap) => {
        const start = Date.parse(base.journey.startedAt);
        const r = decideClaim({ ...base, nextTapOn: { at: new Date(start + gap).toISOString(), stopId: 'M3' } });
        expect(r.accepted).toBe(true);
        if (r.accepted) {
          expect(r.tapOffAt).toBeGreaterThan(start);
          expect(r.tapOffAt).toBeLessThan(start + gap);
        }
      }),
    );
  });
});
