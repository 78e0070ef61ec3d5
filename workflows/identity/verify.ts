import { proxyActivities } from '@temporalio/workflow';
import type { IdentityActivities } from '../../activities/identity';

export interface VerifyIdentityInput {
  version: 1;
  userId: string;
}

export type IdentityOutcome = 'verified' | 'rejected';

// "Provider down" is retried for a day with backoff: the registration waits, it is never lost.
const { verifyUserIdentity } = proxyActivities<IdentityActivities>({
  startToCloseTimeout: '20s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/** Real-name verification of a registered user. The input carries only the user id: PII stays in the database. */
export async function verifyIdentity(input: VerifyIdentityInput): Promise<IdentityOutcome> {
  return verifyUserIdentity({ userId: input.userId });
}
