import type { JourneyTrace } from './fares';

/**
 * Incomplete-journey claims: a rider who forgot to tap off says where they left. A claim that the
 * day's own taps do not contradict is accepted at once and becomes a tap-off (so the day is priced
 * again and the difference refunded by the settlement step); the rest are refused with a reason.
 * A few a month per rider, as fare systems allow, so claims cannot replace tapping off.
 */

export const MAX_CLAIMS_PER_MONTH = 3;

export type ClaimRefusal = 'not_incomplete' | 'unknown_stop' | 'inconsistent_with_taps' | 'monthly_limit';

export interface ClaimInput {
  journey: Pick<JourneyTrace, 'journeyId' | 'kind' | 'incomplete' | 'startedAt' | 'fromStopId'>;
  /** The stop the rider says they left at. */
  toStopId: string;
  /** Whether the operator's fare rules know the stop (a stop of a gated network). */
  knownStop: boolean;
  /** The rider's next tap-on after the journey began, if any (where they really were next). */
  nextTapOn: { at: string; stopId: string | null } | null;
  /** Claims the rider had accepted this calendar month. */
  acceptedThisMonth: number;
  maxPerMonth?: number;
}

export type ClaimDecision = { accepted: true; tapOffAt: number } | { accepted: false; reason: ClaimRefusal };

/** A minute after the tap-on, or halfway to the next tap-on when that is sooner: inside the journey either way. */
const CLAIMED_EXIT_AFTER_MS = 60_000;

export function decideClaim(c: ClaimInput): ClaimDecision {
  if (c.journey.kind !== 'maximum_fare' || c.journey.incomplete !== 'missing_tap_off') return { accepted: false, reason: 'not_incomplete' };
  if (!c.knownStop || c.toStopId === c.journey.fromStopId) return { accepted: false, reason: 'unknown_stop' };
  // The next journey began at a gated stop: the rider left the system there, so a claim naming
  // another stop contradicts the taps (route-only bus taps say nothing about where they got off).
  if (c.nextTapOn?.stopId && c.nextTapOn.stopId !== c.toStopId) return { accepted: false, reason: 'inconsistent_with_taps' };
  if (c.acceptedThisMonth >= (c.maxPerMonth ?? MAX_CLAIMS_PER_MONTH)) return { accepted: false, reason: 'monthly_limit' };
  const start = Date.parse(c.journey.startedAt);
  const next = c.nextTapOn ? Date.parse(c.nextTapOn.at) : Number.POSITIVE_INFINITY;
  return { accepted: true, tapOffAt: Math.min(start + CLAIMED_EXIT_AFTER_MS, start + Math.floor((next - start) / 2)) };
}
