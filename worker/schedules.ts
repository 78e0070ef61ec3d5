import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const RECONCILIATION_SCHEDULE_ID = 'reconciliation-daily';
export const SWEEP_SCHEDULE_ID = 'sweep-abandoned-visits';
export const RETAIL_MEMBERSHIP_SCHEDULE_ID = 'retail-membership-daily';

/** The daily reconciliation runs at 02:30 Beijing time, after the platform publishes the day's bill. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      spec: { cronExpressions: ['30 2 * * *'], timezone: 'Asia/Shanghai' },
      action: {
        type: 'startWorkflow',
        workflowType: 'dailyReconciliation',
        taskQueue,
        args: [{ version: 1 }],
        workflowId: 'reconciliation/scheduled',
      },
      policies: { catchupWindow: '1 day' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  try {
    // Money of visits an operator terminated goes back within minutes (see sweepAbandonedVisits).
    await client.schedule.create({
      scheduleId: SWEEP_SCHEDULE_ID,
      spec: { intervals: [{ every: '10m' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'sweepAbandonedVisits',
        taskQueue,
        args: [{ version: 1 }],
        workflowId: 'sweep-abandoned-visits/scheduled',
      },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  try {
    // Points expiry and tier reviews once a day, after Beijing midnight (a calendar-year review falls due then).
    await client.schedule.create({
      scheduleId: RETAIL_MEMBERSHIP_SCHEDULE_ID,
      spec: { cronExpressions: ['10 0 * * *'], timezone: 'Asia/Shanghai' },
      action: {
        type: 'startWorkflow',
        workflowType: 'retailMembershipSweep',
        taskQueue,
        args: [{ version: 1 }],
        workflowId: 'retail-membership/scheduled',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
