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
  /** Activity attempts (a retry is another attempt, and another billable action). */
  activityAttempts: number;
  /** Signals this workflow sent to another one. */
  signalsSent: number;
  /** Local activities, side effects and patch markers. */
  markers: number;
  searchAttributeUpserts: number;
}

/**
 * An approximation of Temporal Cloud's billable actions from a shape: the workflow's start, child
 * starts, activity attempts, timers, signals received, updates accepted, markers (local activities,
 * side effects, version markers) and search-attribute upserts. Queries, heartbeats and workflow
 * tasks are not counted (queries: the partner reads no longer make any). Cloud's own meter may differ.
 */
export function approximateActions(s: HistoryShape, workflows: number): number {
  return workflows + s.childWorkflows + s.activityAttempts + s.timers + s.signals + s.updates + s.markers + s.searchAttributeUpserts;
}

const E = proto.api.enums.v1.EventType;
/** The marker name the SDK's core gives a local activity's result (patches are `core_patch`). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The shape of a workflow and, recursively, of its children. */
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
    activityAttempts: events
      .filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_STARTED)
      .reduce((n, e) => n + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0),
    signalsSent: count(E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
    markers: count(E.EVENT_TYPE_MARKER_RECORDED),
    searchAttributeUpserts: count(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
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
