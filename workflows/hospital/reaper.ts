import { proxyActivities } from '@temporalio/workflow';
import type { BookingReaperActivities, ReapInput, ReapResult } from '../../activities/bookingReaper';

const { reapOrphanBookings } = proxyActivities<BookingReaperActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 5 },
});

/** Started every few minutes by a Temporal Schedule (worker/reaperSchedule.ts); also on demand by operators. */
export async function reapOrphanBookingsWorkflow(input: { version: 1 } & ReapInput): Promise<ReapResult> {
  return reapOrphanBookings({ graceSeconds: input.graceSeconds, ...(input.limit ? { limit: input.limit } : {}) });
}
