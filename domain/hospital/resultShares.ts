/**
 * Consent to share one visit's results with another hospital's doctor: for 1 hour to 30 days, with the
 * patient's own hospital excluded (its doctor sees them already). Pure, so the route and the tests agree.
 */
export const SHARE_MAX_HOURS = 30 * 24;

/** Live grants one visit may hold at once: enough for every doctor a patient consults, not a flood of rows. */
export const SHARE_MAX_LIVE_PER_VISIT = 20;

export type ShareRefusal = 'own_hospital' | 'duration';

export function shareExpiry(o: {
  nowMs: number;
  hours: number;
  visitInstitutionId: string;
  toInstitutionId: string;
}): { ok: true; expiresAtMs: number } | { ok: false; reason: ShareRefusal } {
  if (o.toInstitutionId === o.visitInstitutionId) return { ok: false, reason: 'own_hospital' };
  if (!Number.isInteger(o.hours) || o.hours < 1 || o.hours > SHARE_MAX_HOURS) return { ok: false, reason: 'duration' };
  return { ok: true, expiresAtMs: o.nowMs + o.hours * 3_600_000 };
}

/** A grant opens the view while it is neither revoked nor past its expiry. */
export function shareIsLive(g: { expiresAtMs: number; revokedAtMs: number | null }, nowMs: number): boolean {
  return g.revokedAtMs === null && nowMs < g.expiresAtMs;
}

/** Whether a visit holding `liveCount` live grants may take another. */
export function mayGrantAnother(liveCount: number): boolean {
  return liveCount < SHARE_MAX_LIVE_PER_VISIT;
}
