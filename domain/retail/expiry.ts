/**
 * Points expire a set age after they became available, oldest first. The available bucket is a
 * queue of lots (each movement that added points); every movement that took points out (a
 * redemption, an earlier expiry) consumed the oldest lots first. A lot old enough expires whatever
 * of it is left, as one movement keyed by the lot, so a run repeated (or retried) adds nothing.
 */

export interface AvailableMovement {
  key: string;
  /** Signed change of the available bucket. */
  availableDelta: number;
  atMs: number;
}

export interface Expiry {
  /** `expire:<lot key>`: one per lot, ever. */
  key: string;
  lotKey: string;
  /** Points leaving the available bucket (positive). */
  points: number;
}

export const expiryKeyOf = (lotKey: string) => `expire:${lotKey}`;

/**
 * What expires at `nowMs` for points older than `ageMs`: movements in ledger order (the order
 * they were recorded in). Outflows beyond what the lots hold are ignored (a ledger that never went
 * negative has none).
 */
export function dueExpiries(movements: readonly AvailableMovement[], ageMs: number, nowMs: number): Expiry[] {
  const lots: Array<{ key: string; atMs: number; left: number }> = [];
  let head = 0;
  const keys = new Set(movements.map((m) => m.key));
  for (const m of movements) {
    if (!Number.isInteger(m.availableDelta)) throw new RangeError('whole points');
    if (m.availableDelta > 0) {
      lots.push({ key: m.key, atMs: m.atMs, left: m.availableDelta });
      continue;
    }
    let out = -m.availableDelta;
    while (out > 0 && head < lots.length) {
      const lot = lots[head]!;
      const take = Math.min(lot.left, out);
      lot.left -= take;
      out -= take;
      if (lot.left === 0) head++;
    }
  }
  const due: Expiry[] = [];
  for (let i = head; i < lots.length; i++) {
    const lot = lots[i]!;
    if (lot.atMs + ageMs > nowMs) continue;
    if (lot.left > 0 && !keys.has(expiryKeyOf(lot.key))) due.push({ key: expiryKeyOf(lot.key), lotKey: lot.key, points: lot.left });
  }
  return due;
}

/**
 * The points of lots that will have expired `horizonMs` after `nowMs` and have not yet (what the
 * service window warns a member of), with the first of those lots' expiry time; null when none.
 */
export function pointsExpiringWithin(
  movements: readonly AvailableMovement[],
  ageMs: number,
  nowMs: number,
  horizonMs: number,
): { points: number; firstExpiresAtMs: number } | null {
  const soon = dueExpiries(movements, ageMs, nowMs + horizonMs);
  if (soon.length === 0) return null;
  const atOf = new Map(movements.map((m) => [m.key, m.atMs]));
  return {
    points: soon.reduce((s, e) => s + e.points, 0),
    firstExpiresAtMs: Math.min(...soon.map((e) => (atOf.get(e.lotKey) ?? nowMs) + ageMs)),
  };
}
