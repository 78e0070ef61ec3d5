/**
 * District-wide points (issue 12, item 4): a district can reward spending at any of its merchants with
 * its own points, on the order's net paid amount (what was paid less what was refunded) at the district's
 * rate. While the order's refund window is open they are pending and follow its refunds; when the order
 * closes they become available. The district's own rate, set on the district (0: no district points).
 */

/** Whole points for a net amount: fractions dropped once per order (not per unit: the district sees orders). */
export function districtPointsFor(netMinor: number, pointsPerMajor: number): number {
  if (netMinor <= 0 || pointsPerMajor <= 0) return 0;
  return Math.floor((netMinor / 100) * pointsPerMajor);
}

export interface DistrictOrderPoints {
  /** The order's pending district points as the ledger holds them now. */
  pending: number;
  /** Whether its points were already made available (the order closed). */
  released: boolean;
}

export type DistrictMove =
  { kind: 'earn_pending' | 'reverse'; pendingDelta: number } | { kind: 'release'; pendingDelta: number; availableDelta: number };

/**
 * The movements that bring the ledger to the order's figure: pending set to what the net amount earns,
 * then, if the order closed, all of it released. Nothing once released (a closed order does not change).
 */
export function districtMoves(o: { netMinor: number; closed: boolean; pointsPerMajor: number }, now: DistrictOrderPoints): DistrictMove[] {
  if (now.released) return [];
  const target = districtPointsFor(o.netMinor, o.pointsPerMajor);
  const moves: DistrictMove[] = [];
  const delta = target - now.pending;
  if (delta > 0) moves.push({ kind: 'earn_pending', pendingDelta: delta });
  if (delta < 0) moves.push({ kind: 'reverse', pendingDelta: delta });
  if (o.closed && target > 0) moves.push({ kind: 'release', pendingDelta: -target, availableDelta: target });
  return moves;
}
