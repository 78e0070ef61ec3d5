import fc from 'fast-check';
import { balanceOf, EMPTY_LEDGER, record, redemptionDiscount, tierOf, unitPoints, type Movement } from '../../domain/retail/points';

const rules = { pointsPerMajor: 1, categoryMultipliers: { food: 2, tobacco: 0 }, perVisit: 5 };

describe('points', () => {
  it('earns by paid amount and category, dropping fractions per unit', () => {
    expect(unitPoints(rules, { category: 'home', paidMinor: 2962 })).toBe(29);
    expect(unitPoints(rules, { category: 'food', paidMinor: 846 })).toBe(16);
    expect(unitPoints(rules, { category: 'tobacco', paidMinor: 5000 })).toBe(0);
  });

  it('adds a movement once per key; the balance is the sum of the ledger', () => {
    const earn: Movement = { key: 'o1:earn', kind: 'earn_pending', points: 45, bucket: 'pending', atMs: 1 };
    let l = record(EMPTY_LEDGER, earn);
    l = record(l, earn);
    l = record(l, { key: 'o1:release', kind: 'release', points: -45, bucket: 'pending', atMs: 2 });
    l = record(l, { key: 'o1:release+', kind: 'release', points: 45, bucket: 'available', atMs: 2 });
    expect(l.movements).toHaveLength(3);
    expect(balanceOf(l)).toEqual({ pending: 0, available: 45 });
  });

  it('redeems points at the rate up to a share of the order', () => {
    expect(redemptionDiscount(1_000, 1, 6_500, 0.5)).toEqual({ points: 1_000, discountMinor: 1_000 });
    expect(redemptionDiscount(10_000, 1, 6_500, 0.5)).toEqual({ points: 3_250, discountMinor: 3_250 });
    expect(redemptionDiscount(10_000, 10, 6_505, 0.1)).toEqual({ points: 65, discountMinor: 650 });
  });

  it('puts a member in the highest tier their spend reaches', () => {
    const tiers = [
      { name: 'silver', minSpendMinor: 100_000 },
      { name: 'gold', minSpendMinor: 500_000 },
    ];
    expect(tierOf(99_999, tiers)).toBeNull();
    expect(tierOf(100_000, tiers)).toBe('silver');
    expect(tierOf(900_000, tiers)).toBe('gold');
  });

  it('keeps the balance equal to the sum of distinct movements, whatever is retried', () => {
    const move = fc.record({
      key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      kind: fc.constantFrom('earn_pending' as const, 'redeem' as const, 'reverse' as const),
      points: fc.integer({ min: -500, max: 500 }),
      bucket: fc.constantFrom('pending' as const, 'available' as const),
      atMs: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(move, { maxLength: 30 }), (moves) => {
        let l = EMPTY_LEDGER;
        const first = new Map<string, Movement>();
        for (const m of moves) {
          l = record(l, m);
          if (!first.has(m.key)) first.set(m.key, m);
        }
        const sum = (bucket: string) => [...first.values()].filter((m) => m.bucket === bucket).reduce((s, m) => s + m.points, 0);
        expect(balanceOf(l)).toEqual({ pending: sum('pending'), available: sum('available') });
        expect(l.movements).toHaveLength(first.size);
      }),
    );
  });
});
