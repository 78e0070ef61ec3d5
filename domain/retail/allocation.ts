/**
 * Allocation of order-level discounts to line units, at the moment of sale. Every coupon and every
 * points redemption is spread over the units it applies to in proportion to what is still to pay on
 * each, with the largest-remainder method; the units that took the extra minor unit are recorded, so
 * a refund later reverses exactly what each unit was given. Pure and deterministic: units are ordered
 * by their id (`<line id>#<n>`), so the same order gives the same answer whatever the lines' order.
 */

export interface OrderLine {
  lineId: string;
  sku: string;
  category: string;
  quantity: number;
  unitPriceMinor: number;
}

export interface Unit {
  unitId: string;
  lineId: string;
  sku: string;
  category: string;
  priceMinor: number;
}

/** A discount to spread: a coupon, or points redeemed at the merchant's rate. */
export interface Discount {
  discountId: string;
  kind: 'coupon' | 'points';
  amountMinor: number;
  /** Categories it applies to; every unit when absent. */
  categories?: readonly string[];
}

export interface AllocatedUnit extends Unit {
  /** Minor units of each discount this unit carries, by discount id. */
  shares: Record<string, number>;
  paidMinor: number;
}

export interface AppliedDiscount {
  discountId: string;
  kind: Discount['kind'];
  /** What was asked for. */
  requestedMinor: number;
  /** What the eligible units could take (never more than they cost). */
  appliedMinor: number;
  /** Units that took one minor unit more than their exact share: the rounding, recorded. */
  roundedUp: string[];
}

export interface Allocation {
  units: AllocatedUnit[];
  discounts: AppliedDiscount[];
  totalMinor: number;
  paidMinor: number;
}

const byId = (a: { unitId: string }, b: { unitId: string }): number => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0);

export function unitsOf(lines: readonly OrderLine[]): Unit[] {
  const units: Unit[] = [];
  for (const l of lines) {
    if (!Number.isInteger(l.quantity) || l.quantity < 1) throw new RangeError(`line ${l.lineId}: quantity must be a positive integer`);
    if (!Number.isInteger(l.unitPriceMinor) || l.unitPriceMinor < 0)
      throw new RangeError(`line ${l.lineId}: price must be whole minor units`);
    for (let n = 1; n <= l.quantity; n++) {
      units.push({
        unitId: `${l.lineId}#${String(n).padStart(3, '0')}`,
        lineId: l.lineId,
        sku: l.sku,
        category: l.category,
        priceMinor: l.unitPriceMinor,
      });
    }
  }
  return units.sort(byId);
}

/**
 * Splits `amount` over `weights` (non-negative integers, not all 0) with the largest-remainder method:
 * each gets the floor of its exact share, and the minor units left go to the largest fractional parts,
 * ties to the earlier index. The parts sum to `amount` exactly.
 */
export function largestRemainder(amount: number, weights: readonly number[]): { parts: number[]; roundedUp: number[] } {
  const total = weights.reduce((s, w) => s + w, 0);
  if (amount === 0 || total === 0) return { parts: weights.map(() => 0), roundedUp: [] };
  // Integer arithmetic (BigInt) so large orders never lose a minor unit to floating point.
  const exact = weights.map((w) => BigInt(amount) * BigInt(w));
  const T = BigInt(total);
  const parts = exact.map((e) => Number(e / T));
  let left = amount - parts.reduce((s, p) => s + p, 0);
  const order = exact.map((e, i) => ({ i, rem: e % T })).sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  const roundedUp: number[] = [];
  for (const { i } of order) {
    if (left === 0) break;
    parts[i]! += 1;
    roundedUp.push(i);
    left -= 1;
  }
  return { parts, roundedUp: roundedUp.sort((a, b) => a - b) };
}

/** Applies the discounts in the order given (coupons before points, as the caller decides), each on what is left to pay. */
export function allocate(lines: readonly OrderLine[], discounts: readonly Discount[]): Allocation {
  const units: AllocatedUnit[] = unitsOf(lines).map((u) => ({ ...u, shares: {}, paidMinor: u.priceMinor }));
  const applied: AppliedDiscount[] = [];
  for (const d of discounts) {
    if (!Number.isInteger(d.amountMinor) || d.amountMinor < 0) throw new RangeError(`discount ${d.discountId}: whole minor units`);
    const eligible = units.filter((u) => !d.categories || d.categories.includes(u.category));
    const room = eligible.reduce((s, u) => s + u.paidMinor, 0);
    const amount = Math.min(d.amountMinor, room);
    const { parts, roundedUp } = largestRemainder(
      amount,
      eligible.map((u) => u.paidMinor),
    );
    eligible.forEach((u, i) => {
      const part = parts[i]!;
      if (part === 0) return;
      u.shares[d.discountId] = part;
      u.paidMinor -= part;
    });
    applied.push({
      discountId: d.discountId,
      kind: d.kind,
      requestedMinor: d.amountMinor,
      appliedMinor: amount,
      roundedUp: roundedUp.map((i) => eligible[i]!.unitId),
    });
  }
  const totalMinor = units.reduce((s, u) => s + u.priceMinor, 0);
  return { units, discounts: applied, totalMinor, paidMinor: units.reduce((s, u) => s + u.paidMinor, 0) };
}
