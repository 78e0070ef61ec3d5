import { afterCancelRequest, credentialRefusal, credentialWindow } from '../../domain/transit/enrolment';

describe('enrolment rules', () => {
  it('issues credentials only to active riders not in debt', () => {
    expect(credentialRefusal(undefined)).toBe('not_enrolled');
    expect(credentialRefusal({ status: 'pending', inDebt: false })).toBe('agreement_not_signed');
    expect(credentialRefusal({ status: 'active', inDebt: false })).toBeNull();
    expect(credentialRefusal({ status: 'active', inDebt: true })).toBe('in_debt');
    expect(credentialRefusal({ status: 'cancelling', inDebt: false })).toBe('cancelled');
    expect(credentialRefusal({ status: 'cancelled', inDebt: true })).toBe('cancelled');
  });

  it('cancelling ends a pending enrolment at once and lets an active one settle first', () => {
    expect(afterCancelRequest('pending')).toBe('cancelled');
    expect(afterCancelRequest('active')).toBe('cancelling');
    expect(afterCancelRequest('cancelling')).toBe('cancelling');
    expect(afterCancelRequest('cancelled')).toBe('cancelled');
  });

  it('a credential lasts at most 24 h and never outlives its issuing key', () => {
    const now = Date.UTC(2026, 11, 4, 8, 0, 0);
    expect(credentialWindow(now, null)).toEqual({ validFrom: now, validUntil: now + 24 * 3600_000 });
    expect(credentialWindow(now, null, 48 * 3600)).toEqual({ validFrom: now, validUntil: now + 24 * 3600_000 });
    expect(credentialWindow(now, null, 3600)).toEqual({ validFrom: now, validUntil: now + 3600_000 });
    expect(credentialWindow(now, now + 5 * 3600_000)).toEqual({ validFrom: now, validUntil: now + 5 * 3600_000 });
    expect(credentialWindow(now, now + 30_000)).toBeNull();
  });
});
