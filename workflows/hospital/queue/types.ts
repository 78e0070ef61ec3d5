import type { BookingRef, QueueConfig, QueueState, QueueSummary } from '../../../domain/hospital/queue';
import type { ServiceDay } from '../../../domain/hospital/serviceDay';

export type { CallNextResult, JoinResult, QueuePosition, QueueSummary } from '../../../domain/hospital/queue';

/**
 * Messages of the doctor's queue. Plain types: the workflow checks them with `validate.ts` rather
 * than zod, which would be evaluated again for every workflow run.
 */

/** One doctor's queue for one service day. `state` is set only by continue-as-new. */
export interface DoctorQueueInput {
  version: 1;
  institutionId: string;
  doctorId: string;
  serviceDay: ServiceDay;
  config: QueueConfig;
  /** Messages handled in one run before it continues as new (history stays small on a busy day). */
  maxEventsPerRun: number;
  /**
   * Epoch ms at which the queue closes by itself: the end of its service day in the institution's
   * zone. Without it (queues started before starters passed it) the latest end of that day anywhere.
   */
  closeAtMs?: number;
  state?: QueueState;
  /** The last read-model seq written, carried over continue-as-new so the next run's writes stay newer. */
  projectionSeq?: number;
}
/** What a starter passes: defaults not yet applied. */
export type DoctorQueueArgs = Omit<DoctorQueueInput, 'config' | 'maxEventsPerRun'> & {
  config?: Partial<QueueConfig>;
  maxEventsPerRun?: number;
};

export interface DoctorQueueOutcome {
  closedAtMs: number;
  summary: QueueSummary;
}

/** Checked in at the hospital (arrival as reported by the HIS or the app). */
export interface JoinQueue {
  version: 1;
  bookingRef: BookingRef;
  arrivedAtMs: number;
}

/**
 * The doctor is ready for the next patient. `callId` makes a repeated click call nobody new. With
 * `bookingRef` the caller names who was called (the HIS's ADT^A08, whose MSH-10 is the call id).
 */
export interface CallNext {
  version: 1;
  callId?: string;
  bookingRef?: BookingRef;
}

/** Payload of skip / return / leave. */
export interface QueuePatient {
  version: 1;
  bookingRef: BookingRef;
}

export interface CloseQueue {
  version: 1;
}

/** Sent to the visit workflow: its patient is close to the front. */
export interface QueueTurnNear {
  version: 1;
  position: number;
  etaMinutes: number;
}

/**
 * Sent to the visit workflow when the queue closes (day end or `closeQueue`) with its patient still
 * waiting or skipped: the patient will not be seen today.
 */
export interface QueueClosed {
  version: 1;
  closedAtMs: number;
  /** The patient had been called and skipped (not there), rather than never called. */
  skipped: boolean;
}

/** Sent to the visit workflow: its patient was called in (ISO-8601 UTC). */
export interface QueueCalled {
  version: 1;
  calledAt: string;
}
