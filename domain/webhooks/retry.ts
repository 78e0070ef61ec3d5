/**
 * When a failed delivery is tried again, when it is given up, and when its endpoint is paused. Pure, so
 * the dispatcher, the tests and the docs share one schedule.
 */

/** Delays after the 1st, 2nd, … failed attempt: quick at first, then hourly-ish, then a few a day. */
const BACKOFF_SECONDS = [5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800] as const;
/** Deliveries are tried for this long (Stripe's three days), counted from the event or its replay. */
export const DELIVERY_WINDOW_SECONDS = 3 * 86_400;

export function backoffSeconds(failedAttempts: number): number {
  const i = Math.max(0, Math.min(failedAttempts - 1, BACKOFF_SECONDS.length - 1));
  return BACKOFF_SECONDS[i]!;
}

export type AfterFailure = { kind: 'retry'; atMs: number } | { kind: 'give_up' };

/**
 * After the n-th failed attempt: the next try, unless it would fall past the delivery window (counted
 * from `windowStartMs`), in which case the delivery is given up and listed as failed for replay. A
 * little jitter (0–10%) keeps a recovered receiver from being hit by every retry in the same second.
 */
export function afterFailure(failedAttempts: number, nowMs: number, windowStartMs: number, jitter01 = 0): AfterFailure {
  // Whole milliseconds: 1.1 × a delay in floating point can land a fraction past the 10% jitter bound.
  const delayMs = Math.floor(backoffSeconds(failedAttempts) * 1000 * (1 + Math.min(Math.max(jitter01, 0), 1) * 0.1));
  const atMs = nowMs + delayMs;
  if (atMs > windowStartMs + DELIVERY_WINDOW_SECONDS * 1000) return { kind: 'give_up' };
  return { kind: 'retry', atMs };
}

/**
 * An endpoint is paused when it answers 410 Gone (it says it no longer exists), or when it has failed
 * every attempt for `pauseAfterSeconds` (no success in between). Paused endpoints keep their pending
 * deliveries; resuming sends them.
 */
export function pauseReason(o: {
  httpStatus: number | null;
  failingSinceMs: number | null;
  nowMs: number;
  pauseAfterSeconds: number;
}): string | null {
  if (o.httpStatus === 410) return 'gone';
  if (o.failingSinceMs !== null && o.nowMs - o.failingSinceMs >= o.pauseAfterSeconds * 1000) return 'failing';
  return null;
}

/** A 2xx answer is a delivery; anything else (including a redirect, which is not followed) is a failure. */
export function isDelivered(httpStatus: number | null): boolean {
  return httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
}
