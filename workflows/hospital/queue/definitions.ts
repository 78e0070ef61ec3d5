import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CallNext,
  CallNextResult,
  CloseQueue,
  JoinQueue,
  JoinResult,
  QueueCalled,
  QueueClosed,
  QueuePatient,
  QueuePosition,
  QueueSummary,
  QueueTurnNear,
} from './types';

// Handled by the doctor-queue workflow. Updates where the caller needs the answer, signals otherwise.
export const joinQueueUpdate = defineUpdate<JoinResult, [JoinQueue]>('joinQueue');
export const callNextUpdate = defineUpdate<CallNextResult, [CallNext]>('callNext');
/** The called patient is not there. Ignored unless that patient is the one currently called. */
export const skipPatientSignal = defineSignal<[QueuePatient]>('skipPatient');
/** A skipped patient is back. */
export const returnPatientSignal = defineSignal<[QueuePatient]>('returnPatient');
/** The booking was cancelled. */
export const leaveQueueSignal = defineSignal<[QueuePatient]>('leaveQueue');
/** End of session: the workflow completes with a summary. */
export const closeQueueSignal = defineSignal<[CloseQueue]>('closeQueue');
/** Argument: the booking ref. */
export const queuePositionQuery = defineQuery<QueuePosition, [string]>('queuePosition');
export const queueSummaryQuery = defineQuery<QueueSummary>('queueSummary');

// Sent BY the queue TO the hospital-visit workflow (`workflowIds.hospitalVisit`), which handles them.
export const queueTurnNearSignal = defineSignal<[QueueTurnNear]>('queueTurnNear');
export const queueCalledSignal = defineSignal<[QueueCalled]>('queueCalled');
/** The queue closed with this patient still waiting or skipped: the visit ends `not_seen`. */
export const queueClosedSignal = defineSignal<[QueueClosed]>('queueClosed');
