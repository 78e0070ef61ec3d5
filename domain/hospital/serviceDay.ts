import { DomainError, ErrorCode } from '../errors';

/**
 * Service days and local wall-clock times in an institution's time zone, with Intl only: schedules
 * are local ("08:00 at the hospital"), storage is UTC. Pure and deterministic, so workflows may use it.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MS_PER_DAY = 86_400_000;

export function isCalendarDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const [, y, mo, d] = m.map(Number) as [number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** A calendar day, 'yyyy-mm-dd'. */
/** A calendar day `yyyy-mm-dd` (validated by the `ServiceDay` schema in `schemas.ts`). */
export type ServiceDay = string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let created: Intl.DateTimeFormat;
  try {
    created = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    throw new DomainError(ErrorCode.ValidationFailed, `unknown time zone ${JSON.stringify(timeZone)}`, {
      fields: [{ field: 'timeZone', message: 'expected an IANA time zone such as Asia/Shanghai' }],
    });
  }
  formatters.set(timeZone, created);
  return created;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(ms: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? NaN,
    month: fields.month ?? NaN,
    day: fields.day ?? NaN,
    hour: fields.hour ?? NaN,
    minute: fields.minute ?? NaN,
    second: fields.second ?? NaN,
  };
}

function toMs(instant: Date | number): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new DomainError(ErrorCode.ValidationFailed, 'invalid instant');
  return ms;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The institution's calendar day at `instant`: 2024-03-01T16:30Z in 'Asia/Shanghai' → '2024-03-02'. */
export function serviceDayOf(instant: Date | number, timeZone: string): ServiceDay {
  const w = wallClockAt(toMs(instant), timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** Minutes the zone is ahead of UTC at `instant` (Asia/Shanghai → 480). */
export function utcOffsetMinutes(instant: Date | number, timeZone: string): number {
  const ms = toMs(instant);
  const whole = ms - (((ms % 1000) + 1000) % 1000); // Intl drops milliseconds
  const w = wallClockAt(whole, timeZone);
  return (Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole) / 60_000;
}

/**
 * The instant the zone's clocks show `time` ('HH:mm') on `day`. A repeated wall time (clocks going
 * back) resolves to its first occurrence; a skipped one (clocks going forward) is read with the
 * offset from before the jump, so 02:30 in a 02:00→03:00 gap becomes 03:30.
 */
export function instantOfLocalTime(day: string, time: string, timeZone: string): Date {
  const d = DAY.exec(day);
  const t = TIME.exec(time);
  if (!d || !isCalendarDay(day)) throw new DomainError(ErrorCode.ValidationFailed, `invalid day ${JSON.stringify(day)}`);
  if (!t) throw new DomainError(ErrorCode.ValidationFailed, `invalid local time ${JSON.stringify(time)}`);
  const asUtc = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  // Two passes: the offset at the first guess may differ from the offset at the answer (DST edges).
  const before = utcOffsetMinutes(asUtc - 12 * 3_600_000, timeZone);
  const after = utcOffsetMinutes(asUtc + 12 * 3_600_000, timeZone);
  const candidates = [asUtc - before * 60_000, asUtc - after * 60_000].sort((a, b) => a - b);
  for (const c of candidates) {
    const w = wallClockAt(c, timeZone);
    if (w.hour === Number(t[1]) && w.minute === Number(t[2]) && serviceDayOf(c, timeZone) === day) return new Date(c);
  }
  // In a DST gap neither candidate shows that wall time; the later one is the pre-jump reading.
  return new Date(candidates[candidates.length - 1] ?? asUtc);
}

/** '2024-02-28' + 2 → '2024-03-01'. Calendar arithmetic, independent of any zone. */
export function addDays(day: string, days: number): ServiceDay {
  const d = DAY.exec(day);
  if (!d || !isCalendarDay(day) || !Number.isInteger(days))
    throw new DomainError(ErrorCode.ValidationFailed, `invalid day ${JSON.stringify(day)}`);
  const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) + days * MS_PER_DAY;
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * When `day` ends at the institution: its next local midnight, as epoch ms. The doctor's queue of
 * that day closes then (a DST change that day moves it with the clocks).
 */
export function endOfServiceDay(day: string, timeZone: string): number {
  return instantOfLocalTime(addDays(day, 1), '00:00', timeZone).getTime();
}

/**
 * The latest instant `day` can end in any time zone (UTC-12 reaches midnight last): a bound for a
 * queue that was started without knowing its institution's zone.
 */
export function latestEndOfDay(day: string): number {
  return Date.parse(`${addDays(day, 1)}T12:00:00Z`);
}
