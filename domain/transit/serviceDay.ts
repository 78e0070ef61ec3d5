import { addDays, instantOfLocalTime, serviceDayOf } from '../hospital/serviceDay';

/**
 * A transit service day runs from the operator's boundary (04:30 by default, TfL's) to the same time
 * the next calendar day, in the operator's zone: a ride at 01:00 belongs to the evening before. Pure,
 * Intl only.
 */

export const DEFAULT_SERVICE_DAY_START = '04:30';

/**
 * Answers by minute: zone offsets and boundaries (HH:mm) change only on whole minutes, and taps come
 * in bursts of nearby times, while the Intl arithmetic costs tens of microseconds per tap.
 */
const byMinute = new Map<string, string>();
const MINUTES_KEPT = 10_000;

/** The service day a transaction time belongs to. */
export function transitServiceDayOf(epochMs: number, timeZone: string, dayStart = DEFAULT_SERVICE_DAY_START): string {
  const key = `${timeZone}|${dayStart}|${Math.floor(epochMs / 60_000)}`;
  const hit = byMinute.get(key);
  if (hit !== undefined) return hit;
  const calendarDay = serviceDayOf(epochMs, timeZone);
  const day = epochMs < instantOfLocalTime(calendarDay, dayStart, timeZone).getTime() ? addDays(calendarDay, -1) : calendarDay;
  if (byMinute.size >= MINUTES_KEPT) byMinute.clear();
  byMinute.set(key, day);
  return day;
}

/** When the service day ends: the boundary on the next calendar day, as epoch ms. */
export function transitServiceDayEnd(serviceDay: string, timeZone: string, dayStart = DEFAULT_SERVICE_DAY_START): number {
  return instantOfLocalTime(addDays(serviceDay, 1), dayStart, timeZone).getTime();
}
