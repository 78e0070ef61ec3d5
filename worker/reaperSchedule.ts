import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const BOOKING_REAPER_SCHEDULE_ID = 'booking-orphan-reaper';

/**
 * The orphan-booking reaper runs as a Temporal Schedule rather than a timer in each worker: one run
 * at a time however many workers there are (overlap SKIP), visible and pausable in the Web UI, and
 * it survives worker restarts without drifting.
 */
export async function ensureBookingReaperSchedule(client: Client, taskQueue: string, graceSeconds: number): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: BOOKING_REAPER_SCHEDULE_ID,
      spec: { intervals: [{ every: '5m' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reapOrphanBookingsWorkflow',
        taskQueue,
        args: [{ version: 1, graceSeconds }],
        workflowId: 'booking-reaper/scheduled',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10m' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
