import fc from 'fast-check';
import { couponDiscount, type CouponValue } from '../../domain/retail/coupons';

const units = [
  { category: 'food', priceMinor: 1_000 },
  { category: 'food', priceMinor: 1_000 },
  { category: 'drink', priceMinor: 500 },
];

describe('coupon value', () => {
  it('takes a fixed amount or a capped percentage of the eligible units, if they reach the minimum spend', () => {
    const fixed: CouponValue = { kind: 'fixed', value: 300, maxDiscountMinor: null, minSpendMinor: 2_000, categories: [] };
    expect(couponDiscount(fixed, units)).toEqual({ ok: true, amountMinor: 300 });
    expect(couponDiscount({ ...fixed, categories: ['drink'] }, units)).toEqual({ ok: false, reason: 'below_minimum_spend' });
    expect(couponDiscount({ ...fixed, categories: ['toys'] }, units)).toEqual({ ok: false, reason: 'nothing_eligible' });
    const pct: CouponValue = { kind: 'percent', value: 15, maxDiscountMinor: 200, minSpendMinor: 0, categories: ['food'] };
    expect(couponDiscount(pct, units)).toEqual({ ok: true, amountMinor: 200 }); // 15% of 2,000 = 300, capped
    expect(couponDiscount({ ...pct, maxDiscountMinor: null, value: 33 }, [{ category: 'food', priceMinor: 999 }])).toEqual({
      ok: true,
      amountMinor: 329, // 329.67 rounds down
    });
    expect(couponDiscount({ ...fixed, value: 5_000, minSpendMinor: 0 }, units)).toEqual({ ok: true, amountMinor: 2_500 });
  });

  it('never discounts more than the eligible units cost, nor a negative amount (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('fixed' as const, 'percent' as const),
          value: fc.integer({ min: 1, max: 100_000 }),
          maxDiscountMinor: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
          minSpendMinor: fc.integer({ min: 0, max: 50_000 }),
          categories: fc.subarray(['a', 'b', 'c']),
        }),
        fc.array(fc.record({ category: fc.constantFrom('a', 'b', 'c'), priceMinor: fc.integer({ min: 0, max: 20_000 }) }), {
          maxLength: 10,
        }),
        (c, us) => {
          const coupon = c.kind === 'percent' ? { ...c, value: Math.min(c.value, 100) } : c;
          const r = couponDiscount(coupon, us);
          if (!r.ok) return true;
          const base = us
            .filter((u) => c.categories.length === 0 || c.categories.includes(u.category))
            .reduce((s, u) => s + u.priceMinor, 0);
          return r.amountMinor >= 0 && r.amountMinor <= base && Number.isInteger(r.amountMinor);
        },
      ),
    );
  });
});
