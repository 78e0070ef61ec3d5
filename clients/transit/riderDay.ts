import type { Client } from '@temporalio/client';
import { workflowIds } from '../../domain/ids';
import { Institution, Stage, Vertical } from '../../workflows/searchAttributes';
import { riderDayTapsSignal } from '../../workflows/transit/riderDay/definitions';
import type { RiderDayInput, RiderDayTap } from '../../workflows/transit/riderDay/types';

/**
 * Hands a batch of one rider-day's taps to its workflow, starting it when no run is open: a closed
 * run of the day (ended awaiting settlement) is followed by a new one, which reads the earlier taps.
 */
export async function sendRiderDayTaps(client: Client, taskQueue: string, input: RiderDayInput, taps: RiderDayTap[]): Promise<void> {
  await client.workflow.signalWithStart('transitRiderDay', {
    taskQueue,
    workflowId: workflowIds.transitDay(input.operatorId, input.riderRef, input.serviceDay),
    args: [input],
    // Operators find days by stage; the workflow moves it on as the day settles.
    typedSearchAttributes: [
      { key: Vertical, value: 'transit' },
      { key: Institution, value: input.operatorId },
      { key: Stage, value: 'priced' },
    ],
    signal: riderDayTapsSignal,
    signalArgs: [{ version: 1, taps }],
  });
}
