import { DomainError, ErrorCode } from '../../../domain/errors';
import { BOOKING_REF_PATTERN, DEFAULT_QUEUE_CONFIG, type QueueConfig } from '../../../domain/hospital/queue';
import { isCalendarDay } from '../../../domain/hospital/serviceDay';
import type { CallNext, DoctorQueueInput, JoinQueue, QueuePatient } from './types';

/**
 * Checks of what reaches the queue workflow, by hand: zod here would be evaluated in every
 * workflow run. Each check throws a DomainError(validation_failed) naming the field.
 */

type Obj = Record<string, unknown>;

function invalid(field: string, expected: string): never {
  throw new DomainError(ErrorCode.ValidationFailed, `${field}: ${expected}`, { fields: [{ field, message: expected }] });
}

function object(raw: unknown, field: string): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid(field, 'an object expected');
  return raw as Obj;
}

function versionOne(o: Obj): 1 {
  if (o.version !== 1) invalid('version', '1 expected');
  return 1;
}

function text(o: Obj, field: string, max: number): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length < 1 || v.length > max) invalid(field, `a string of 1 to ${max} characters expected`);
  return v;
}

function integer(o: Obj, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalid(field, `an integer from ${min} expected`);
  return v;
}

function bookingRef(o: Obj): string {
  const v = o.bookingRef;
  if (typeof v !== 'string' || !BOOKING_REF_PATTERN.test(v)) invalid('bookingRef', 'an opaque booking reference expected');
  return v;
}

/** The same bounds as the boundary's zod schema had; unknown keys are dropped. */
function queueConfig(raw: unknown): QueueConfig {
  const given = raw === undefined ? {} : object(raw, 'config');
  const keys = Object.keys(DEFAULT_QUEUE_CONFIG) as Array<keyof QueueConfig>;
  const c = Object.fromEntries(keys.map((k) => [k, given[k] ?? DEFAULT_QUEUE_CONFIG[k]])) as Record<keyof QueueConfig, unknown>;
  for (const k of keys) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalid(`config.${k}`, 'a non-negative number expected');
  }
  const n = c as QueueConfig;
  for (const k of ['nearPosition', 'nearMinutes', 'returnAfter'] as const)
    if (!Number.isInteger(n[k])) invalid(`config.${k}`, 'a whole number expected');
  if (n.ewmaAlpha <= 0 || n.ewmaAlpha > 1) invalid('config.ewmaAlpha', 'a number in (0, 1] expected');
  if (n.priorConsultationMinutes <= 0 || n.priorConsultationMinutes > 480)
    invalid('config.priorConsultationMinutes', 'a number of minutes in (0, 480] expected');
  if (n.maxObservedMinutes <= 0) invalid('config.maxObservedMinutes', 'a positive number expected');
  if (n.minObservedMinutes > n.maxObservedMinutes) invalid('config.minObservedMinutes', 'at most maxObservedMinutes expected');
  return n;
}

export function doctorQueueInput(raw: unknown): DoctorQueueInput {
  const o = object(raw, 'input');
  const serviceDay = o.serviceDay;
  if (typeof serviceDay !== 'string' || !isCalendarDay(serviceDay)) invalid('serviceDay', 'a calendar day yyyy-mm-dd expected');
  return {
    version: versionOne(o),
    institutionId: text(o, 'institutionId', 64),
    doctorId: text(o, 'doctorId', 64),
    serviceDay,
    config: queueConfig(o.config),
    maxEventsPerRun: o.maxEventsPerRun === undefined ? 500 : integer(o, 'maxEventsPerRun', 1, 10_000),
    ...(o.closeAtMs === undefined ? {} : { closeAtMs: integer(o, 'closeAtMs', 0) }),
    // Only ever written by this workflow's own continue-as-new.
    ...(o.projectionSeq === undefined ? {} : { projectionSeq: integer(o, 'projectionSeq', 0) }),
    ...(o.state === undefined ? {} : { state: object(o.state, 'state') as unknown as NonNullable<DoctorQueueInput['state']> }),
  };
}

export function joinQueue(raw: unknown): JoinQueue {
  const o = object(raw, 'join');
  return { version: versionOne(o), bookingRef: bookingRef(o), arrivedAtMs: integer(o, 'arrivedAtMs', 0) };
}

export function callNext(raw: unknown): CallNext {
  const o = object(raw, 'callNext');
  return {
    version: versionOne(o),
    ...(o.callId === undefined ? {} : { callId: text(o, 'callId', 64) }),
    ...(o.bookingRef === undefined ? {} : { bookingRef: bookingRef(o) }),
  };
}

export function queuePatient(raw: unknown): QueuePatient {
  const o = object(raw, 'patient');
  return { version: versionOne(o), bookingRef: bookingRef(o) };
}

export function isCloseQueue(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as Obj).version === 1;
}
