import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';

/**
 * What one journey cost Temporal, read from its history (and its child workflows'): the numbers
 * that make the bare floor comparable with the real journey. Only event types are read; payloads
 * stay encrypted.
 */
export interface HistoryShape {
  events: number;
  workflowTasks: number;
  activities: number;
  /** Local activities: recorded as markers, run inside the workflow task that scheduled them. */
  localActivities: number;
  signals: number;
  updates: number;
  childWorkflows: number;
  timers: number;
}

const E = proto.api.enums.v1.EventType;
/** The marker name the SDK's core gives a local activity's result (patches are `core_patch`). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export async function historyShape(client: Client, workflowId: string): Promise<HistoryShape> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const count = (type: proto.api.enums.v1.EventType): number => events.filter((e) => e.eventType === type).length;
  const shape: HistoryShape = {
    events: events.length,
    workflowTasks: count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: count(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER).length,
    signals: count(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    updates: count(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    childWorkflows: count(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
    timers: count(E.EVENT_TYPE_TIMER_STARTED),
  };
  const children = events
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);
  for (const child of children) {
    const c = await historyShape(client, child);
    for (const k of Object.keys(shape) as Array<keyof HistoryShape>) shape[k] += c[k];
  }
  return shape;
}
