import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { previousDay } from '../../domain/reconciliation';
import type { ReconciliationActivities } from '../../activities/reconciliation';

// The activity heartbeats (every 5 s): a worker lost mid-run is noticed in 30 s, not 5 minutes.
const { reconcileDay } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '10s', maximumInterval: '10m' },
});

export interface ReconcileInput {
  version: 1;
  /** yyyy-mm-dd; defaults to the day before the run (the Schedule passes nothing). */
  date?: string;
}

/** Started daily by a Temporal Schedule; also on demand by operators. */
export async function dailyReconciliation(input: ReconcileInput = { version: 1 }): Promise<{ date: string; mismatches: number }> {
  const date = input.date ?? previousDay(workflowInfo().startTime.getTime());
  return reconcileDay({ date });
}
