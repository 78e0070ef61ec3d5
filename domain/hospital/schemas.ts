import { z } from 'zod';
import { BOOKING_REF_PATTERN, type QueueConfig as QueueConfigType, type QueueState as QueueStateType } from './queue';
import type { ConsultationStats as ConsultationStatsType, QueueEtaConfig as QueueEtaConfigType } from './queueEta';
import { isCalendarDay } from './serviceDay';

/**
 * zod schemas for the hospital domain's values, for the boundaries (API, config, persisted state).
 * Kept apart from the rules they describe: workflow code imports the rules, and every workflow run
 * would otherwise evaluate all of zod again (it was most of the workflow CPU time and memory).
 */

export const ServiceDay = z.string().refine(isCalendarDay, 'expected a calendar day yyyy-mm-dd');

export const BookingRef = z.string().regex(BOOKING_REF_PATTERN, 'expected an opaque booking reference');

export const QueueEtaConfig = z.object({
  priorConsultationMinutes: z.number().positive().max(480).default(10),
  ewmaAlpha: z.number().gt(0).max(1).default(0.3),
  minObservedMinutes: z.number().nonnegative().default(1),
  maxObservedMinutes: z.number().positive().default(60),
  nearPosition: z.number().int().nonnegative().default(3),
  nearMinutes: z.number().int().nonnegative().default(15),
});

export const ConsultationStats = z.object({ avgMs: z.number().int().positive(), samples: z.number().int().nonnegative() });

export const QueueConfig = QueueEtaConfig.extend({
  returnAfter: z.number().int().nonnegative().default(2),
}).refine((c) => c.minObservedMinutes <= c.maxObservedMinutes, 'minObservedMinutes must not exceed maxObservedMinutes');

export const QueueState = z.object({
  waiting: z.array(z.object({ ref: BookingRef, arrivedAtMs: z.number().int(), returned: z.boolean(), nearNotified: z.boolean() })),
  skipped: z.array(z.object({ ref: BookingRef, skippedAtMs: z.number().int() })),
  current: z.object({ ref: BookingRef, calledAtMs: z.number().int() }).nullable(),
  closed: z.record(z.string(), z.enum(['served', 'left'])),
  stats: ConsultationStats,
  lastCall: z.object({ callId: z.string(), ref: BookingRef.nullable(), calledAtMs: z.number().int() }).nullable(),
});

// The schemas and the plain types must describe the same values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<z.infer<typeof QueueEtaConfig>, QueueEtaConfigType>,
  Same<z.infer<typeof ConsultationStats>, ConsultationStatsType>,
  Same<z.infer<typeof QueueConfig>, QueueConfigType>,
  Same<z.infer<typeof QueueState>, QueueStateType>,
] = [true, true, true, true];
void agree;
