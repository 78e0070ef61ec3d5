import { DomainError } from '../../domain/errors';
import { DEFAULT_QUEUE_CONFIG } from '../../domain/hospital/queue';
import { callNext, doctorQueueInput, isCloseQueue, joinQueue, queuePatient } from '../../workflows/hospital/queue/validate';

/** The doctor's queue checks its messages by hand (no zod in workflow code): each refusal names the field. */
const base = { version: 1, institutionId: 'H1', doctorId: 'D1', serviceDay: '2026-11-26' };

function refusedField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return (err.details.fields as Array<{ field: string }> | undefined)?.[0]?.field;
    throw err;
  }
  return undefined;
}

describe('doctor queue input', () => {
  it('applies the defaults, keeps given config values and drops unknown keys', () => {
    expect(doctorQueueInput(base)).toEqual({ ...base, config: DEFAULT_QUEUE_CONFIG, maxEventsPerRun: 500 });
    const input = doctorQueueInput({ ...base, config: { nearPosition: 1, extra: 'x' }, maxEventsPerRun: 5, closeAtMs: 1_000 });
    expect(input.config).toEqual({ ...DEFAULT_QUEUE_CONFIG, nearPosition: 1 });
    expect(input).toMatchObject({ maxEventsPerRun: 5, closeAtMs: 1_000 });
  });

  it('refuses bad identity fields, days and budgets', () => {
    expect(refusedField(() => doctorQueueInput({ ...base, version: 2 }))).toBe('version');
    expect(refusedField(() => doctorQueueInput({ ...base, doctorId: '' }))).toBe('doctorId');
    expect(refusedField(() => doctorQueueInput({ ...base, serviceDay: '2026-02-30' }))).toBe('serviceDay');
    expect(refusedField(() => doctorQueueInput({ ...base, maxEventsPerRun: 0 }))).toBe('maxEventsPerRun');
    expect(refusedField(() => doctorQueueInput({ ...base, maxEventsPerRun: 10_001 }))).toBe('maxEventsPerRun');
    expect(refusedField(() => doctorQueueInput('nonsense'))).toBe('input');
  });

  it('holds the config to the same bounds as before: ranges, whole numbers, min ≤ max', () => {
    const config = (c: object) => refusedField(() => doctorQueueInput({ ...base, config: c }));
    expect(config({ ewmaAlpha: 0 })).toBe('config.ewmaAlpha');
    expect(config({ ewmaAlpha: 1.5 })).toBe('config.ewmaAlpha');
    expect(config({ priorConsultationMinutes: 481 })).toBe('config.priorConsultationMinutes');
    expect(config({ maxObservedMinutes: 0 })).toBe('config.maxObservedMinutes');
    expect(config({ minObservedMinutes: 61 })).toBe('config.minObservedMinutes');
    expect(config({ nearPosition: 1.5 })).toBe('config.nearPosition');
    expect(config({ returnAfter: -1 })).toBe('config.returnAfter');
    expect(config({ nearMinutes: '15' })).toBe('config.nearMinutes');
    expect(config({ ewmaAlpha: 1, priorConsultationMinutes: 480 })).toBeUndefined();
  });
});

describe('queue messages', () => {
  it('accept well-formed messages and name the field of a bad one', () => {
    expect(joinQueue({ version: 1, bookingRef: 'B1', arrivedAtMs: 5 })).toEqual({ version: 1, bookingRef: 'B1', arrivedAtMs: 5 });
    expect(refusedField(() => joinQueue({ version: 1, bookingRef: 'no spaces', arrivedAtMs: 5 }))).toBe('bookingRef');
    expect(refusedField(() => joinQueue({ version: 1, bookingRef: 'B1', arrivedAtMs: -1 }))).toBe('arrivedAtMs');
    expect(callNext({ version: 1 })).toEqual({ version: 1 });
    expect(refusedField(() => callNext({ version: 1, callId: 'x'.repeat(65) }))).toBe('callId');
    // The HIS names the patient it called (ADT^A08): an opaque booking ref, nothing else.
    expect(callNext({ version: 1, callId: 'MSG-1', bookingRef: 'BK1' })).toEqual({ version: 1, callId: 'MSG-1', bookingRef: 'BK1' });
    expect(refusedField(() => callNext({ version: 1, bookingRef: 'not a ref!' }))).toBe('bookingRef');
    expect(queuePatient({ version: 1, bookingRef: 'B2' })).toEqual({ version: 1, bookingRef: 'B2' });
    expect(refusedField(() => queuePatient({ version: 1 }))).toBe('bookingRef');
    expect(isCloseQueue({ version: 1 })).toBe(true);
    expect(isCloseQueue(null)).toBe(false);
  });
});
