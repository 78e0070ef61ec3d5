import fc from 'fast-check';
import { mayGrantAnother, SHARE_MAX_HOURS, SHARE_MAX_LIVE_PER_VISIT, shareExpiry, shareIsLive } from '../../domain/hospital/resultShares';

describe('result shares', () => {
  it('grants 1 hour to 30 days to another hospital, never to the patient own', () => {
    expect(shareExpiry({ nowMs: 0, hours: 24, visitInstitutionId: 'h1', toInstitutionId: 'h2' })).toEqual({
      ok: true,
      expiresAtMs: 86_400_000,
    });
    expect(shareExpiry({ nowMs: 0, hours: 24, visitInstitutionId: 'h1', toInstitutionId: 'h1' })).toEqual({
      ok: false,
      reason: 'own_hospital',
    });
    for (const hours of [0, -1, 1.5, SHARE_MAX_HOURS + 1])
      expect(shareExpiry({ nowMs: 0, hours, visitInstitutionId: 'a', toInstitutionId: 'b' })).toEqual({ ok: false, reason: 'duration' });
  });

  it('is live only before expiry and while not revoked (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.option(fc.integer({ min: 0, max: 1e12 }), { nil: null }),
        (exp, now, revoked) => {
          return shareIsLive({ expiresAtMs: exp, revokedAtMs: revoked }, now) === (revoked === null && now < exp);
        },
      ),
    );
  });

  it('lets a visit hold a bounded number of live grants', () => {
    expect(mayGrantAnother(0)).toBe(true);
    expect(mayGrantAnother(SHARE_MAX_LIVE_PER_VISIT - 1)).toBe(true);
    expect(mayGrantAnother(SHARE_MAX_LIVE_PER_VISIT)).toBe(false);
    expect(mayGrantAnother(SHARE_MAX_LIVE_PER_VISIT + 5)).toBe(false);
  });
});
