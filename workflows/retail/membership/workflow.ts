import { proxyActivities } from '@temporalio/workflow';
import type { MembershipSweepResult, RetailMembershipActivities } from '../../../activities/retailMembership';

const { sweepRetailMembership } = proxyActivities<RetailMembershipActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '10s', maximumInterval: '5m', maximumAttempts: 10 },
});

export interface RetailMembershipSweepInput {
  version: 1;
  /** Acts as of this instant (drills and tests); the run's start by default. */
  asOfMs?: number;
  limit?: number;
  /** Only these merchants and districts (drills and tests); every programme by default. */
  programIds?: string[];
}

/**
 * Points expiry and tier reviews for every programme (`retail-membership/…`), started daily by a
 * Temporal Schedule (worker/schedules.ts) and on demand by operators. The instant is fixed once, at
 * the start, so a retried activity acts as of the same moment.
 */
export async function retailMembershipSweep(input: RetailMembershipSweepInput): Promise<MembershipSweepResult> {
  return sweepRetailMembership({
    asOfMs: input.asOfMs ?? Date.now(),
    limit: input.limit ?? 500,
    ...(input.programIds ? { programIds: input.programIds } : {}),
  });
}
