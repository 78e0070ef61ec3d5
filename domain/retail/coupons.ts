/**
 * What a coupon takes off an order: a fixed amount, or a percentage capped by a maximum discount, of
 * the units it applies to (its categories, or all), and nothing when those units cost less than its
 * minimum spend. Never more than those units cost. Pure; allocation to units is `allocate`'s job.
 */
export interface CouponValue {
  kind: 'fixed' | 'percent';
  /** Minor units for `fixed`; whole percent (1–100) for `percent`. */
  value: number;
  maxDiscountMinor: number | null;
  minSpendMinor: number;
  /** Categories it applies to; every unit when empty. */
  categories: readonly string[];
}

export type CouponRefusal = 'below_minimum_spend' | 'nothing_eligible';

export function couponDiscount(
  c: CouponValue,
  units: ReadonlyArray<{ category: string; priceMinor: number }>,
): { ok: true; amountMinor: number } | { ok: false; reason: CouponRefusal } {
  const eligible = units.filter((u) => c.categories.length === 0 || c.categories.includes(u.category));
  const base = eligible.reduce((s, u) => s + u.priceMinor, 0);
  if (base === 0) return { ok: false, reason: 'nothing_eligible' };
  if (base < c.minSpendMinor) return { ok: false, reason: 'below_minimum_spend' };
  // Percent discounts round down: the shopper never gets a fraction of a minor unit the merchant did not offer.
  const raw = c.kind === 'fixed' ? c.value : Math.floor((base * c.value) / 100);
  const capped = c.maxDiscountMinor === null ? raw : Math.min(raw, c.maxDiscountMinor);
  return { ok: true, amountMinor: Math.min(capped, base) };
}
