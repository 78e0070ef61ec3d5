import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { Institution, Stage, Vertical } from '../../workflows/searchAttributes';
import {
  callNextUpdate,
  closeQueueSignal,
  joinQueueUpdate,
  leaveQueueSignal,
  queuePositionQuery,
  queueSummaryQuery,
  returnPatientSignal,
  skipPatientSignal,
} from '../../workflows/hospital/queue/definitions';
import type { CallNextResult, DoctorQueueArgs, JoinResult, QueuePosition, QueueSummary } from '../../workflows/hospital/queue/types';
import type { doctorQueue } from '../../workflows/hospital/queue/workflow';

/**
 * Client-side helpers for the doctor queue (API routes, the HIS adapter, the visit workflow's
 * activities). Starting is always start-or-join: the first caller of the day creates the queue,
 * everyone else lands on the running one. A day's queue runs once: after it closed, its id is never
 * reused (REJECT_DUPLICATE), so a late check-in is refused with `queue_closed` instead of silently
 * starting an empty queue for a day that is over.
 */
export interface QueueKey {
  institutionId: string;
  doctorId: string;
  /** The institution's service day, 'yyyy-mm-dd' (see `serviceDayOf`). */
  serviceDay: string;
}

export interface QueueStartOptions {
  taskQueue: string;
  config?: DoctorQueueArgs['config'];
  maxEventsPerRun?: number;
  /** The end of the service day in the institution's zone (`endOfServiceDay`); every starter passes it. */
  closeAtMs?: number;
}

type QueueHandle = WorkflowHandle<typeof doctorQueue>;

export function doctorQueueId(key: QueueKey): string {
  return workflowIds.doctorQueue(key.institutionId, key.doctorId, key.serviceDay);
}

function startOptions(key: QueueKey, opts: QueueStartOptions) {
  const args: DoctorQueueArgs = {
    version: 1,
    institutionId: key.institutionId,
    doctorId: key.doctorId,
    serviceDay: key.serviceDay,
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.maxEventsPerRun !== undefined ? { maxEventsPerRun: opts.maxEventsPerRun } : {}),
    ...(opts.closeAtMs !== undefined ? { closeAtMs: opts.closeAtMs } : {}),
  };
  return {
    workflowId: doctorQueueId(key),
    taskQueue: opts.taskQueue,
    args: [args] as [DoctorQueueArgs],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: Vertical, value: 'hospital' },
      { key: Institution, value: key.institutionId },
      { key: Stage, value: 'queue_open' },
    ],
    memo: { summary: `Queue of doctor ${key.doctorId} on ${key.serviceDay}` },
  };
}

const KnownCode = z.enum(ErrorCode);

function closedQueue(key: QueueKey): DomainError {
  return new DomainError(ErrorCode.QueueClosed, `the queue of ${key.serviceDay} is closed`, { serviceDay: key.serviceDay });
}

/**
 * A refused update comes back as the DomainError the workflow raised (its code is the failure type);
 * a day's queue that has ended answers `queue_closed`.
 */
async function asDomainErrors<T>(key: QueueKey, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure) {
      const code = KnownCode.safeParse(cause.type);
      if (code.success) throw new DomainError(code.data, cause.message);
    }
    // With USE_EXISTING, "already started" can only mean the closed run REJECT_DUPLICATE keeps.
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw closedQueue(key);
    throw err;
  }
}

/** Starts the day's queue if it is not running; returns its handle either way. */
export async function ensureDoctorQueue(client: Client, key: QueueKey, opts: QueueStartOptions): Promise<QueueHandle> {
  return asDomainErrors(key, () => client.workflow.start<typeof doctorQueue>('doctorQueue', startOptions(key, opts)));
}

/** Check-in: joins the queue, starting it if this is the day's first patient (update-with-start). */
export async function joinDoctorQueue(
  client: Client,
  key: QueueKey,
  opts: QueueStartOptions,
  join: { bookingRef: string; arrivedAtMs: number },
): Promise<JoinResult> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof doctorQueue>('doctorQueue', startOptions(key, opts));
  return asDomainErrors(key, () =>
    client.workflow.executeUpdateWithStart(joinQueueUpdate, {
      args: [{ version: 1, bookingRef: join.bookingRef, arrivedAtMs: join.arrivedAtMs }],
      startWorkflowOperation,
    }),
  );
}

function handle(client: Client, key: QueueKey): QueueHandle {
  // No run id: after continue-as-new the latest run of the chain is addressed.
  return client.workflow.getHandle<typeof doctorQueue>(doctorQueueId(key));
}

/**
 * "Next patient". `bookingRef` names the patient when the caller chose (the HIS's ADT^A08); the call
 * id makes a repeat call nobody new. A queue never started for that day answers `not_found`.
 */
export async function callNextPatient(client: Client, key: QueueKey, callId?: string, bookingRef?: string): Promise<CallNextResult> {
  const call = { version: 1 as const, ...(callId ? { callId } : {}), ...(bookingRef ? { bookingRef } : {}) };
  return asDomainErrors(key, async () => {
    try {
      return await handle(client, key).executeUpdate(callNextUpdate, { args: [call] });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // An update to a run that has ended says "not found" too: tell a closed day from a day with no queue.
      const ended = await handle(client, key)
        .describe()
        .then(
          () => true,
          () => false,
        );
      throw ended ? closedQueue(key) : new DomainError(ErrorCode.NotFound, `no queue of ${key.serviceDay} for that doctor`);
    }
  });
}

export async function skipPatient(client: Client, key: QueueKey, bookingRef: string): Promise<void> {
  await handle(client, key).signal(skipPatientSignal, { version: 1, bookingRef });
}

export async function returnPatient(client: Client, key: QueueKey, bookingRef: string): Promise<void> {
  await handle(client, key).signal(returnPatientSignal, { version: 1, bookingRef });
}

export async function leaveDoctorQueue(client: Client, key: QueueKey, bookingRef: string): Promise<void> {
  await handle(client, key).signal(leaveQueueSignal, { version: 1, bookingRef });
}

export async function closeDoctorQueue(client: Client, key: QueueKey): Promise<void> {
  await handle(client, key).signal(closeQueueSignal, { version: 1 });
}

export async function queuePosition(client: Client, key: QueueKey, bookingRef: string): Promise<QueuePosition> {
  return handle(client, key).query(queuePositionQuery, bookingRef);
}

export async function queueSummary(client: Client, key: QueueKey): Promise<QueueSummary> {
  return handle(client, key).query(queueSummaryQuery);
}
