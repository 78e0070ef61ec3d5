import { MAX_CREDENTIAL_SECONDS } from './rideCode/format';

/**
 * A rider's enrolment with one operator, as rules. `pending` until the withholding agreement is
 * signed, then `active`. Cancelling stops new credentials at once but the agreement stays until the
 * rider's unsettled days are charged (`cancelling`); then it is unsigned (`cancelled`).
 */
export type RiderStatus = 'pending' | 'active' | 'cancelling' | 'cancelled';

export interface RiderFacts {
  status: RiderStatus;
  inDebt: boolean;
}

export type CredentialRefusal = 'not_enrolled' | 'agreement_not_signed' | 'cancelled' | 'in_debt';

/** Why no new credential may be issued, or null when one may. Debt is checked last: it is the one a rider can fix by paying. */
export function credentialRefusal(r: RiderFacts | undefined): CredentialRefusal | null {
  if (!r) return 'not_enrolled';
  if (r.status === 'pending') return 'agreement_not_signed';
  if (r.status === 'cancelling' || r.status === 'cancelled') return 'cancelled';
  if (r.inDebt) return 'in_debt';
  return null;
}

/** Where cancelling leads: a pending enrolment simply ends; an active one waits for its days to settle. */
export function afterCancelRequest(status: RiderStatus): RiderStatus {
  return status === 'pending' ? 'cancelled' : status === 'active' ? 'cancelling' : status;
}

/**
 * A credential's window: from now for at most 24 h, and never past its issuing key's end, so a
 * retiring key signs nothing that outlives it. Null when the key has too little life left to bother.
 */
export function credentialWindow(
  nowMs: number,
  keyNotAfterMs: number | null,
  maxSeconds = MAX_CREDENTIAL_SECONDS,
): { validFrom: number; validUntil: number } | null {
  const cap = Math.min(maxSeconds, MAX_CREDENTIAL_SECONDS) * 1000;
  const validUntil = Math.min(nowMs + cap, keyNotAfterMs ?? Number.POSITIVE_INFINITY);
  // Whole seconds on the wire: at least a minute, or the app would refresh in a loop.
  if (validUntil - nowMs < 60_000) return null;
  return { validFrom: nowMs, validUntil };
}
