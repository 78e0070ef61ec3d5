import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { ServiceDay } from '../../domain/hospital/schemas';
import {
  addDays,
  endOfServiceDay,
  instantOfLocalTime,
  isValidTimeZone,
  latestEndOfDay,
  serviceDayOf,
  utcOffsetMinutes,
} from '../../domain/hospital/serviceDay';

/** The DomainError code `fn` throws, or what it threw otherwise. */
function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : err;
  }
  return undefined;
}

describe('serviceDayOf', () => {
  it.each([
    ['2024-03-01T15:59:59.999Z', 'Asia/Shanghai', '2024-03-01'],
    ['2024-03-01T16:00:00.000Z', 'Asia/Shanghai', '2024-03-02'],
    ['2024-03-01T16:30:00.000Z', 'UTC', '2024-03-01'],
    ['2024-12-31T16:00:00.000Z', 'Asia/Shanghai', '2025-01-01'],
    ['2024-03-10T04:59:00.000Z', 'America/New_York', '2024-03-09'],
    ['2024-03-10T05:00:00.000Z', 'America/New_York', '2024-03-10'],
    ['2024-02-29T12:00:00.000Z', 'Pacific/Kiritimati', '2024-03-01'],
  ])('%s in %s is %s', (iso, zone, day) => {
    expect(serviceDayOf(new Date(iso), zone)).toBe(day);
    expect(serviceDayOf(Date.parse(iso), zone)).toBe(day);
  });

  it('rejects an unknown zone with a validation error', () => {
    expect(() => serviceDayOf(0, 'Mars/Olympus')).toThrow(DomainError);
    expect(thrownCode(() => serviceDayOf(0, 'Mars/Olympus'))).toBe(ErrorCode.ValidationFailed);
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });

  it('rejects an invalid instant', () => {
    expect(() => serviceDayOf(new Date('nope'), 'UTC')).toThrow(DomainError);
  });
});

describe('utcOffsetMinutes', () => {
  it('follows the zone and its daylight saving', () => {
    expect(utcOffsetMinutes(Date.parse('2024-06-01T00:00:00Z'), 'Asia/Shanghai')).toBe(480);
    expect(utcOffsetMinutes(Date.parse('2024-01-15T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(utcOffsetMinutes(Date.parse('2024-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(utcOffsetMinutes(Date.parse('2024-07-15T12:00:00.999Z'), 'Asia/Kolkata')).toBe(330);
  });
});

describe('instantOfLocalTime', () => {
  it('maps a local wall time to UTC', () => {
    expect(instantOfLocalTime('2024-03-02', '08:00', 'Asia/Shanghai').toISOString()).toBe('2024-03-02T00:00:00.000Z');
    expect(instantOfLocalTime('2024-03-02', '00:30', 'Asia/Shanghai').toISOString()).toBe('2024-03-01T16:30:00.000Z');
    expect(instantOfLocalTime('2024-07-01', '09:15', 'America/New_York').toISOString()).toBe('2024-07-01T13:15:00.000Z');
  });

  it('resolves DST edges: first occurrence when repeated, pre-jump reading in a gap', () => {
    // 2024-11-03 01:30 happens twice in New York (EDT then EST): the first is 05:30Z.
    expect(instantOfLocalTime('2024-11-03', '01:30', 'America/New_York').toISOString()).toBe('2024-11-03T05:30:00.000Z');
    // 2024-03-10 02:30 does not exist in New York; read with EST it is 07:30Z (03:30 EDT).
    expect(instantOfLocalTime('2024-03-10', '02:30', 'America/New_York').toISOString()).toBe('2024-03-10T07:30:00.000Z');
  });

  it('rejects malformed days and times', () => {
    expect(() => instantOfLocalTime('2024-02-30', '08:00', 'UTC')).toThrow(DomainError);
    expect(() => instantOfLocalTime('2024-02-01', '24:00', 'UTC')).toThrow(DomainError);
    expect(() => instantOfLocalTime('2024-2-1', '08:00', 'UTC')).toThrow(DomainError);
  });

  it('round-trips with serviceDayOf for any day and time in several zones', () => {
    const zones = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 11, 31) }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom(...zones),
        (dayMs, hour, minute, zone) => {
          const day = new Date(dayMs).toISOString().slice(0, 10);
          const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
          const instant = instantOfLocalTime(day, time, zone);
          // Away from a DST gap the wall clock reads exactly `time` on `day`.
          const shown = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
            instant,
          );
          expect(serviceDayOf(instant, zone)).toBe(day);
          // In a spring-forward gap the clock shows a later time than asked, never an earlier one.
          if (shown !== time) expect(shown > time).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('addDays and ServiceDay', () => {
  it('does calendar arithmetic across months, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', 0)).toBe('2024-03-01');
  });

  it('accepts real calendar days only', () => {
    expect(ServiceDay.safeParse('2024-02-29').success).toBe(true);
    expect(ServiceDay.safeParse('2023-02-29').success).toBe(false);
    expect(ServiceDay.safeParse('2024-13-01').success).toBe(false);
    expect(ServiceDay.safeParse('20240101').success).toBe(false);
  });
});

describe('endOfServiceDay', () => {
  it('is the next local midnight in the institution zone', () => {
    expect(new Date(endOfServiceDay('2024-03-02', 'Asia/Shanghai')).toISOString()).toBe('2024-03-02T16:00:00.000Z');
    expect(new Date(endOfServiceDay('2024-12-31', 'UTC')).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    // The day the clocks go forward is 23 hours long; it still ends at local midnight.
    expect(new Date(endOfServiceDay('2024-03-10', 'America/New_York')).toISOString()).toBe('2024-03-11T04:00:00.000Z');
  });

  it('every instant of the day is before its end, and the end is the next day; no zone ends later than latestEndOfDay', () => {
    const zones = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Kathmandu'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
        const day = serviceDayOf(ms, zone);
        const end = endOfServiceDay(day, zone);
        expect(ms).toBeLessThan(end);
        expect(serviceDayOf(end, zone)).toBe(addDays(day, 1));
        expect(end).toBeLessThanOrEqual(latestEndOfDay(day));
      }),
    );
  });
});
