/**
 * Membership points as an append-only ledger of movements, each with an idempotency key: a movement
 * whose key is already in the ledger is not added again, so a retried step never earns or spends
 * twice, and a balance is always the sum of the ledger. Points earned on a sale stay `pending` until
 * the order's refund window ends; refunds reverse what the refunded units earned.
 */

export interface AccrualRules {
  /** Points per whole major unit (yuan) paid. */
  pointsPerMajor: number;
  /** Multiplier by category (absent: 1); 0 excludes the category. */
  categoryMultipliers: Readonly<Record<string, number>>;
  /** Points for the visit itself, once per order. */
  perVisit: number;
}

/** Points a unit earns: whole points of its paid amount, by category; fractions are dropped per unit. */
export function unitPoints(rules: AccrualRules, unit: { category: string; paidMinor: number }): number {
  const multiplier = rules.categoryMultipliers[unit.category] ?? 1;
  return Math.floor((unit.paidMinor / 100) * rules.pointsPerMajor * multiplier);
}

export type MovementKind = 'earn_pending' | 'release' | 'reverse' | 'redeem' | 'expire' | 'restore';

export interface Movement {
  key: string;
  kind: MovementKind;
  /** Signed: into `pending` for earn/reverse-pending, into `available` otherwise. */
  points: number;
  bucket: 'pending' | 'available';
  atMs: number;
}

export interface Ledger {
  readonly movements: readonly Movement[];
}

export const EMPTY_LEDGER: Ledger = { movements: [] };

/** Appends the movement unless its key is already there (then the same ledger comes back). */
export function record(ledger: Ledger, m: Movement): Ledger {
  if (!Number.isInteger(m.points)) throw new RangeError('whole points');
  if (ledger.movements.some((x) => x.key === m.key)) return ledger;
  return { movements: [...ledger.movements, m] };
}

export function balanceOf(ledger: Ledger): { pending: number; available: number } {
  let pending = 0;
  let available = 0;
  for (const m of ledger.movements) {
    if (m.bucket === 'pending') pending += m.points;
    else available += m.points;
  }
  return { pending, available };
}

/** The discount id points take in an order's allocation (coupons use their coupon ids). */
export const POINTS_DISCOUNT_ID = 'points';

/** Points as a discount: at `rate` minor units per point, at most `maxShare` of the order. */
export function redemptionDiscount(
  points: number,
  rateMinorPerPoint: number,
  orderMinor: number,
  maxShare: number,
): { points: number; discountMinor: number } {
  const cap = Math.floor(orderMinor * maxShare);
  const usable = Math.min(points, Math.floor(cap / rateMinorPerPoint));
  return { points: Math.max(0, usable), discountMinor: Math.max(0, usable) * rateMinorPerPoint };
}

/** The member's tier: the highest whose spend threshold the period's spend reaches. */
export function tierOf(spendMinor: number, tiers: ReadonlyArray<{ name: string; minSpendMinor: number }>): string | null {
  let best: { name: string; minSpendMinor: number } | null = null;
  for (const t of tiers) if (spendMinor >= t.minSpendMinor && (!best || t.minSpendMinor > best.minSpendMinor)) best = t;
  return best?.name ?? null;
}
