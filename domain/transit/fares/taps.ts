/**
 * Taps as the AFC reports them, and their canonical order. Everything downstream depends only on
 * the canonical list, which is what makes the engine insensitive to duplicates and arrival order.
 */

export type TapType = 'on' | 'off';

export interface Tap {
  tapId: string;
  /** Transaction time, epoch milliseconds (UTC). */
  at: number;
  stopId: string;
  /** As the device reported it; may be wrong (a misconfigured validator, a gate used backwards). */
  tapType: TapType;
  /** Bus validators know the route; gates at stations report only the stop. */
  routeId?: string;
}

function compareTaps(a: Tap, b: Tap): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.tapId !== b.tapId) return a.tapId < b.tapId ? -1 : 1;
  // Same id and time, different content (a corrupt resend): fall back to the content so the kept copy does not depend on input order.
  const ka = `${a.stopId}\u0000${a.tapType}\u0000${a.routeId ?? ''}`;
  const kb = `${b.stopId}\u0000${b.tapType}\u0000${b.routeId ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Time order with one copy per tap id (the earliest, then the smallest by content). */
export function canonicalTaps(taps: readonly Tap[]): Tap[] {
  const byId = new Map<string, Tap>();
  for (const tap of taps) {
    const kept = byId.get(tap.tapId);
    if (!kept || compareTaps(tap, kept) < 0) byId.set(tap.tapId, tap);
  }
  return [...byId.values()].sort(compareTaps);
}
