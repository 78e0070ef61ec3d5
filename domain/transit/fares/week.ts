/**
 * The first service day of the week a service day belongs to, for weekly caps: the caller sums the
 * settled days from there to find the week-to-date. Service days are YYYY-MM-DD; weekStartDay is
 * ISO (1 = Monday ... 7 = Sunday).
 */
export function weekStartOf(serviceDay: string, weekStartDay: number): string {
  const d = new Date(`${serviceDay}T00:00:00Z`);
  const iso = ((d.getUTCDay() + 6) % 7) + 1;
  const back = (iso - weekStartDay + 7) % 7;
  return new Date(d.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}
