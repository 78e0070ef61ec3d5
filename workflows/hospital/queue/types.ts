import { z } from 'zod';
import { BookingRef, QueueConfig, QueueState, type QueueSummary } from '../../../domain/hospital/queue';
import { ServiceDay } from '../../../domain/hospital/serviceDay';

export type { CallNextResult, JoinResult, QueuePosition, QueueSummary } from '../../../domain/hospital/queue';

/** One doctor's queue for one service day. `state` is set only by continue-as-new. */
export const DoctorQueueInput = z.object({
  version: z.literal(1),
  institutionId: z.string().min(1).max(64),
  doctorId: z.string().min(1).max(64),
  serviceDay: ServiceDay,
  config: QueueConfig.default(() => QueueConfig.parse({})),
  /** Messages handled in one run before it continues as new (history stays small on a busy day). */
  maxEventsPerRun: z.number().int().min(1).max(10_000).default(500),
  /** Epoch ms at which the queue closes by itself (end of the session). */
  closeAtMs: z.number().int().optional(),
  state: QueueState.optional(),
});
export type DoctorQueueInput = z.infer<typeof DoctorQueueInput>;
/** What a starter passes: defaults not yet applied. */
export type DoctorQueueArgs = z.input<typeof DoctorQueueInput>;

export interface DoctorQueueOutcome {
  closedAtMs: number;
  summary: QueueSummary;
}

/** Checked in at the hospital (arrival as reported by the HIS or the app). */
export const JoinQueue = z.object({ version: z.literal(1), bookingRef: BookingRef, arrivedAtMs: z.number().int().nonnegative() });
export type JoinQueue = z.infer<typeof JoinQueue>;

/** The doctor is ready for the next patient. `callId` makes a repeated click call nobody new. */
export const CallNext = z.object({ version: z.literal(1), callId: z.string().min(1).max(64).optional() });
export type CallNext = z.infer<typeof CallNext>;

/** Payload of skip / return / leave. */
export const QueuePatient = z.object({ version: z.literal(1), bookingRef: BookingRef });
export type QueuePatient = z.infer<typeof QueuePatient>;

export const CloseQueue = z.object({ version: z.literal(1) });
export type CloseQueue = z.infer<typeof CloseQueue>;

/** Sent to the visit workflow: its patient is close to the front. */
export const QueueTurnNear = z.object({ version: z.literal(1), position: z.number().int().positive(), etaMinutes: z.number().int().nonnegative() });
export type QueueTurnNear = z.infer<typeof QueueTurnNear>;

/** Sent to the visit workflow: its patient was called in (ISO-8601 UTC). */
export const QueueCalled = z.object({ version: z.literal(1), calledAt: z.iso.datetime() });
export type QueueCalled = z.infer<typeof QueueCalled>;
