import fc from 'fast-check';
import { allocate, largestRemainder, type Discount, type OrderLine } from '../../domain/retail/allocation';
import { planRefund, type CouponTerms } from '../../domain/retail/refunds';

const LINES: OrderLine[] = [
  { lineId: 'L1', sku: 'TEA', category: 'food', quantity: 3, unitPriceMinor: 1000 },
  { lineId: 'L2', sku: 'MUG', category: 'home', quantity: 1, unitPriceMinor: 3500 },
];

describe('largestRemainder', () => {
  it('gives the minor units left over to the largest remainders, ties to the earlier', () => {
    // 100 over 1:1:1 is 33.33 each: one unit left, to the first.
    expect(largestRemainder(100, [1, 1, 1])).toEqual({ parts: [34, 33, 33], roundedUp: [0] });
    // 10 over 3:3:4 → 3, 3, 4 exactly.
    expect(largestRemainder(10, [3, 3, 4])).toEqual({ parts: [3, 3, 4], roundedUp: [] });
    expect(largestRemainder(0, [5, 5])).toEqual({ parts: [0, 0], roundedUp: [] });
  });
});

describe('allocate', () => {
  it('spreads a coupon over the units in proportion and records the rounding', () => {
    // 10.00 off 65.00: 1000/6500 of it on each tea (153.85), 3500/6500 on the mug (538.46). The floors
    // (153 × 3 + 538) leave 3 minor units; the teas' remainders (.85) beat the mug's (.46).
    const a = allocate(LINES, [{ discountId: 'C1', kind: 'coupon', amountMinor: 1000 }]);
    expect(a.units.map((u) => [u.unitId, u.shares.C1, u.paidMinor])).toEqual([
      ['L1#001', 154, 846],
      ['L1#002', 154, 846],
      ['L1#003', 154, 846],
      ['L2#001', 538, 2962],
    ]);
    expect(a.discounts).toEqual([
      { discountId: 'C1', kind: 'coupon', requestedMinor: 1000, appliedMinor: 1000, roundedUp: ['L1#001', 'L1#002', 'L1#003'] },
    ]);
    expect(a).toMatchObject({ totalMinor: 6500, paidMinor: 5500 });
  });

  it('applies a category coupon to its category only, then points on what is left', () => {
    const a = allocate(LINES, [
      { discountId: 'FOOD5', kind: 'coupon', amountMinor: 500, categories: ['food'] },
      { discountId: 'PTS', kind: 'points', amountMinor: 600 },
    ]);
    expect(a.units.find((u) => u.unitId === 'L2#001')?.shares.FOOD5).toBeUndefined();
    expect(a.units.filter((u) => u.category === 'food').reduce((s, u) => s + (u.shares.FOOD5 ?? 0), 0)).toBe(500);
    expect(a.units.reduce((s, u) => s + (u.shares.PTS ?? 0), 0)).toBe(600);
    expect(a.paidMinor).toBe(6500 - 500 - 600);
  });

  it('never takes more than the eligible units cost', () => {
    const a = allocate(LINES, [{ discountId: 'BIG', kind: 'coupon', amountMinor: 99_999, categories: ['home'] }]);
    expect(a.discounts[0]).toMatchObject({ requestedMinor: 99_999, appliedMinor: 3500 });
    expect(a.units.find((u) => u.unitId === 'L2#001')?.paidMinor).toBe(0);
  });
});

describe('planRefund', () => {
  const coupon: CouponTerms = { discountId: 'C1', minSpendMinor: 5000, validUntilMs: 2_000, belowMinimum: 'claw_back' };
  const sale = () => allocate(LINES, [{ discountId: 'C1', kind: 'coupon', amountMinor: 1000 }]);
  const none = { refundedUnitIds: new Set<string>(), clawedBackCoupons: new Set<string>() };

  it('refunds exactly what the units were paid, and keeps the coupon while the minimum spend holds', () => {
    const r = planRefund(sale(), none, ['L1#003'], [coupon], 1_000);
    expect(r).toMatchObject({
      ok: true,
      unitsPaidMinor: 846,
      clawedBackMinor: 0,
      refundMinor: 846,
      couponSharesMinor: { C1: 154 },
      couponsReturned: [],
    });
  });

  it("claws back the coupon's share on the kept units when the minimum spend breaks (policy claw_back)", () => {
    // Refunding the mug leaves 30.00 < 50.00: the teas' 4.62 of coupon comes off this refund.
    const r = planRefund(sale(), none, ['L2#001'], [coupon], 1_000);
    expect(r).toMatchObject({ ok: true, unitsPaidMinor: 2962, clawedBackMinor: 462, refundMinor: 2500, clawedBackCoupons: ['C1'] });
    const kept = planRefund(sale(), none, ['L2#001'], [{ ...coupon, belowMinimum: 'keep' }], 1_000);
    expect(kept).toMatchObject({ ok: true, clawedBackMinor: 0, refundMinor: 2962 });
  });

  it('returns the coupon only when the whole order is refunded within its validity', () => {
    const all = ['L1#001', 'L1#002', 'L1#003', 'L2#001'];
    expect(planRefund(sale(), none, all, [coupon], 1_000)).toMatchObject({
      wholeOrderRefunded: true,
      couponsReturned: ['C1'],
      refundMinor: 5500,
    });
    expect(planRefund(sale(), none, all, [coupon], 3_000)).toMatchObject({ couponsReturned: [] });
  });

  it('refuses unknown, repeated and already refunded units, naming them', () => {
    expect(planRefund(sale(), none, [], [], 0)).toEqual({ ok: false, reason: 'empty', unitIds: [] });
    expect(planRefund(sale(), none, ['L9#001'], [], 0)).toEqual({ ok: false, reason: 'unknown_unit', unitIds: ['L9#001'] });
    expect(planRefund(sale(), none, ['L1#001', 'L1#001'], [], 0)).toEqual({ ok: false, reason: 'duplicate_unit', unitIds: ['L1#001'] });
    const after = { refundedUnitIds: new Set(['L1#001']), clawedBackCoupons: new Set<string>() };
    expect(planRefund(sale(), after, ['L1#001', 'L1#002'], [], 0)).toEqual({ ok: false, reason: 'already_refunded', unitIds: ['L1#001'] });
  });
});

describe('allocation and refunds, for any order and any sequence of partial refunds', () => {
  const line = fc.record({
    sku: fc.constantFrom('A', 'B', 'C'),
    category: fc.constantFrom('food', 'home', 'toys'),
    quantity: fc.integer({ min: 1, max: 4 }),
    unitPriceMinor: fc.integer({ min: 0, max: 50_000 }),
  });
  const order = fc.array(line, { minLength: 1, maxLength: 5 }).map((ls) => ls.map((l, i): OrderLine => ({ ...l, lineId: `L${i + 1}` })));
  const discounts = fc.array(
    fc.record({
      kind: fc.constantFrom('coupon' as const, 'points' as const),
      amountMinor: fc.integer({ min: 0, max: 60_000 }),
      categories: fc.option(fc.subarray(['food', 'home', 'toys'], { minLength: 1 }), { nil: undefined }),
      minSpendMinor: fc.integer({ min: 0, max: 100_000 }),
      belowMinimum: fc.constantFrom('keep' as const, 'claw_back' as const),
    }),
    { maxLength: 3 },
  );

  it('shares sum to each applied discount, paid never goes negative, and lines in any order allocate the same', () => {
    fc.assert(
      fc.property(order, discounts, (lines, ds) => {
        const list: Discount[] = ds.map((d, i) => ({
          discountId: `D${i}`,
          kind: d.kind,
          amountMinor: d.amountMinor,
          ...(d.categories ? { categories: d.categories } : {}),
        }));
        const a = allocate(lines, list);
        for (const d of a.discounts) expect(a.units.reduce((s, u) => s + (u.shares[d.discountId] ?? 0), 0)).toBe(d.appliedMinor);
        for (const u of a.units) expect(u.paidMinor).toBeGreaterThanOrEqual(0);
        expect(a.paidMinor).toBe(a.totalMinor - a.discounts.reduce((s, d) => s + d.appliedMinor, 0));
        expect(allocate([...lines].reverse(), list)).toEqual(a);
      }),
    );
  });

  it('never refunds more than was paid, each unit at most once, and all of it once every unit is back', () => {
    fc.assert(
      fc.property(order, discounts, fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { maxLength: 6 }), (lines, ds, picks) => {
        const list: Discount[] = ds.map((d, i) => ({ discountId: `D${i}`, kind: d.kind, amountMinor: d.amountMinor }));
        const coupons: CouponTerms[] = ds.flatMap((d, i) =>
          d.kind === 'coupon'
            ? [{ discountId: `D${i}`, minSpendMinor: d.minSpendMinor, validUntilMs: 1, belowMinimum: d.belowMinimum }]
            : [],
        );
        const a = allocate(lines, list);
        const refunded = new Set<string>();
        const clawed = new Set<string>();
        const onUnits = new Map<string, number>();
        let total = 0;
        // The picks, then whatever is left: every sequence ends with the whole order refunded.
        const rest = () => a.units.map((u) => u.unitId).filter((id) => !refunded.has(id));
        for (const ids of [...picks.map((pick) => [...new Set(pick.map((n) => a.units[n % a.units.length]!.unitId))]), null]) {
          const asked = ids ?? rest();
          if (asked.length === 0) continue;
          const r = planRefund(a, { refundedUnitIds: refunded, clawedBackCoupons: clawed, clawedBackOnUnits: onUnits }, asked, coupons, 0);
          if (!r.ok) {
            expect(r.reason).toBe('already_refunded');
            continue;
          }
          expect(r.refundMinor).toBeGreaterThanOrEqual(0);
          total += r.refundMinor;
          expect(total).toBeLessThanOrEqual(a.paidMinor);
          for (const id of r.unitIds) refunded.add(id);
          for (const c of r.clawedBackCoupons) clawed.add(c);
          for (const [id, v] of Object.entries(r.clawedBackOnUnits)) onUnits.set(id, (onUnits.get(id) ?? 0) + v);
          expect(Object.keys(r.clawedBackOnUnits).every((id) => !refunded.has(id))).toBe(true);
        }
        // Everything back: exactly what was paid, whatever the claw-backs on the way.
        expect(total).toBe(a.paidMinor);
      }),
    );
  });
});
