import { RetryState } from '@temporalio/common';
import { ActivityFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { IdentityActivities } from '../../activities/identity';

export interface VerifyIdentityInput {
  version: 1;
  userId: string;
  /** How long "provider down" is retried before the user is marked unverified; 24 h when absent. */
  windowMs?: number;
}

/** `unverified`: the provider never answered within the window; registering again retries. */
export type IdentityOutcome = 'verified' | 'rejected' | 'unverified';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;

const { markIdentityUnverified } = proxyActivities<IdentityActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** The activity gave up because the window closed, not because of a refusal. */
function windowClosed(err: unknown): boolean {
  return err instanceof ActivityFailure && (err.retryState === RetryState.TIMEOUT || err.cause instanceof TimeoutFailure);
}

/**
 * Real-name verification of a registered user. The input carries only the user id: PII stays in the
 * database. "Provider down" is retried with backoff for the window (a day by default): the
 * registration waits, it is never lost. If the window closes, the user is marked `unverified` with a
 * reason, never left `pending` with nothing running for it.
 */
export async function verifyIdentity(input: VerifyIdentityInput): Promise<IdentityOutcome> {
  const { verifyUserIdentity } = proxyActivities<IdentityActivities>({
    startToCloseTimeout: '20s',
    scheduleToCloseTimeout: input.windowMs ?? DEFAULT_WINDOW_MS,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  });
  try {
    return await verifyUserIdentity({ userId: input.userId });
  } catch (err) {
    if (!windowClosed(err)) throw err;
    await markIdentityUnverified({ userId: input.userId, reason: 'identity provider did not answer in time; register again to retry' });
    return 'unverified';
  }
}
