import { addDays, instantOfLocalTime, serviceDayOf } from '../hospital/serviceDay';

/**
 * A transit service day runs from the operator's boundary (04:30 by default, TfL's) to the same time
 * the next calendar day, in the operator's zone: a ride at 01:00 belongs to the evening before. Pure,
 * Intl only.
 */

export const DEFAULT_SERVICE_DAY_START = '04:30';

/** The service day a transaction time belongs to. */
export function transitServiceDayOf(epochMs: number, timeZone: string, dayStart = DEFAULT_SERVICE_DAY_START): string {
  const calendarDay = serviceDayOf(epochMs, timeZone);
  return epochMs < instantOfLocalTime(calendarDay, dayStart, timeZone).getTime() ? addDays(calendarDay, -1) : calendarDay;
}

/** When the service day ends: the boundary on the next calendar day, as epoch ms. */
export function transitServiceDayEnd(serviceDay: string, timeZone: string, dayStart = DEFAULT_SERVICE_DAY_START): number {
  return instantOfLocalTime(addDays(serviceDay, 1), dayStart, timeZone).getTime();
}
