import type { Allocation, AllocatedUnit } from './allocation';
import { POINTS_DISCOUNT_ID } from './points';

/**
 * Refunds reverse the allocation made at the sale, unit by unit: the money back is exactly what the
 * refunded units were paid, so no sequence of refunds can return more than the order took, and a unit
 * is refunded at most once. Coupons follow their campaign's rules:
 *  - a coupon comes back to the shopper only when the whole order is refunded within its validity;
 *  - when a partial refund leaves less than a coupon's minimum spend, its policy decides: `keep`
 *    (the shopper keeps the discount on what they kept) or `claw_back` (the coupon's share on the
 *    units kept is taken from this refund, never below zero).
 * What a claw-back takes is charged to the kept units it came from: those units then stand at what the
 * shopper really paid for them (their paid amount plus the claw-back), and refunding them later returns
 * that, so refunding every unit always returns exactly what was paid.
 */

export interface CouponTerms {
  discountId: string;
  minSpendMinor: number;
  validUntilMs: number;
  belowMinimum: 'keep' | 'claw_back';
}

export type RefundRefusal = 'empty' | 'unknown_unit' | 'already_refunded' | 'duplicate_unit';

export interface RefundPlan {
  ok: true;
  unitIds: string[];
  /** What the refunded units were paid. */
  unitsPaidMinor: number;
  /** Taken back from this refund for coupons whose minimum spend the refund broke (what did not fit is waived). */
  clawedBackMinor: number;
  /** Coupons clawed back by this refund: record them, a coupon is clawed back once. */
  clawedBackCoupons: string[];
  /** What this refund's claw-back charged to each kept unit: add it to the history for later refunds. */
  clawedBackOnUnits: Record<string, number>;
  /** Claw-backs charged earlier to the units refunded now, returned with them. */
  clawBackReturnedMinor: number;
  /** Money back to the shopper: units paid, plus claw-backs returned, less claw-backs, never negative. */
  refundMinor: number;
  /** Coupon shares carried by the refunded units, by coupon (what the merchant's budget gets back). */
  couponSharesMinor: Record<string, number>;
  /** The points discount carried by the refunded units (minor units): those points go back to the shopper. */
  pointsShareMinor: number;
  /** Coupons returned to the shopper's wallet (the whole order refunded in their validity). */
  couponsReturned: string[];
  wholeOrderRefunded: boolean;
}

export type RefundDecision = RefundPlan | { ok: false; reason: RefundRefusal; unitIds: string[] };

/**
 * Plans a refund of `unitIds` given the units refunded before (and the coupon claw-backs taken before,
 * so a coupon is clawed back once). Pure: the caller records the plan with the refund.
 */
export function planRefund(
  allocation: Allocation,
  history: {
    refundedUnitIds: ReadonlySet<string>;
    clawedBackCoupons: ReadonlySet<string>;
    /** Claw-backs charged to units by earlier refunds; absent (journeys planned before it) returns none. */
    clawedBackOnUnits?: ReadonlyMap<string, number>;
  },
  unitIds: readonly string[],
  coupons: readonly CouponTerms[],
  nowMs: number,
): RefundDecision {
  if (unitIds.length === 0) return { ok: false, reason: 'empty', unitIds: [] };
  const byId = new Map(allocation.units.map((u) => [u.unitId, u]));
  const unknown = unitIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) return { ok: false, reason: 'unknown_unit', unitIds: unknown };
  const repeated = unitIds.filter((id, i) => unitIds.indexOf(id) !== i);
  if (repeated.length > 0) return { ok: false, reason: 'duplicate_unit', unitIds: [...new Set(repeated)] };
  const again = unitIds.filter((id) => history.refundedUnitIds.has(id));
  if (again.length > 0) return { ok: false, reason: 'already_refunded', unitIds: again };

  const refunded = unitIds.map((id) => byId.get(id)!);
  const kept: AllocatedUnit[] = allocation.units.filter((u) => !history.refundedUnitIds.has(u.unitId) && !unitIds.includes(u.unitId));
  const unitsPaidMinor = refunded.reduce((s, u) => s + u.paidMinor, 0);
  const couponSharesMinor: Record<string, number> = {};
  for (const u of refunded)
    for (const c of coupons)
      if (u.shares[c.discountId]) couponSharesMinor[c.discountId] = (couponSharesMinor[c.discountId] ?? 0) + u.shares[c.discountId]!;

  const wholeOrderRefunded = kept.length === 0;
  const clawBackReturnedMinor = history.clawedBackOnUnits
    ? refunded.reduce((s, u) => s + (history.clawedBackOnUnits!.get(u.unitId) ?? 0), 0)
    : 0;
  const clawedBackCoupons: string[] = [];
  const claims: Array<[string, number]> = [];
  if (!wholeOrderRefunded) {
    const keptPrice = kept.reduce((s, u) => s + u.priceMinor, 0);
    for (const c of coupons) {
      if (c.belowMinimum !== 'claw_back' || history.clawedBackCoupons.has(c.discountId) || keptPrice >= c.minSpendMinor) continue;
      for (const u of kept) if (u.shares[c.discountId]) claims.push([u.unitId, u.shares[c.discountId]!]);
      clawedBackCoupons.push(c.discountId);
    }
  }
  const due = unitsPaidMinor + clawBackReturnedMinor;
  const wanted = claims.reduce((s, [, v]) => s + v, 0);
  const refundMinor = Math.max(0, due - wanted);
  // What was really taken (the rest is waived) is charged to the kept units in order, so it adds up exactly.
  let left = due - refundMinor;
  const clawedBackOnUnits: Record<string, number> = {};
  for (const [unitId, v] of claims) {
    const take = Math.min(v, left);
    if (take > 0) clawedBackOnUnits[unitId] = (clawedBackOnUnits[unitId] ?? 0) + take;
    left -= take;
  }
  return {
    ok: true,
    unitIds: [...unitIds].sort(),
    unitsPaidMinor,
    clawedBackMinor: due - refundMinor,
    clawedBackCoupons,
    clawedBackOnUnits,
    clawBackReturnedMinor,
    refundMinor,
    couponSharesMinor,
    pointsShareMinor: refunded.reduce((s, u) => s + (u.shares[POINTS_DISCOUNT_ID] ?? 0), 0),
    couponsReturned: wholeOrderRefunded ? coupons.filter((c) => nowMs <= c.validUntilMs).map((c) => c.discountId) : [],
    wholeOrderRefunded,
  };
}
