import fc from 'fast-check';
import {
  dueReview,
  periodStartMs,
  spendNeededFromMs,
  tierFor,
  tierState,
  type SpendEntry,
  type TierPolicy,
} from '../../domain/retail/tiers';

const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';
const tiers = [
  { name: 'silver', minSpendMinor: 10_000 },
  { name: 'gold', minSpendMinor: 50_000 },
];
const rolling: TierPolicy = { period: { kind: 'rolling', days: 30 }, tiers };
const yearly: TierPolicy = { period: { kind: 'calendar_year' }, tiers };
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('tiers', () => {
  it('moves up the moment the period spend reaches a threshold', () => {
    const card = { tier: null, reviewedAtMs: T0 };
    expect(tierState(rolling, TZ, card, [{ atMs: T0 + DAY, amountMinor: 9_999 }], T0 + DAY).tier).toBeNull();
    const up = tierState(rolling, TZ, card, [{ atMs: T0 + DAY, amountMinor: 10_000 }], T0 + DAY);
    expect(up).toMatchObject({ tier: 'silver', periodSpendMinor: 10_000, reviewed: false });
  });

  it('keeps a tier between reviews when spend leaves a rolling window, and drops it at the review', () => {
    const card = { tier: 'gold', reviewedAtMs: T0 };
    const spend = [{ atMs: T0 + DAY, amountMinor: 12_000 }];
    // Day 29: the window still holds the spend; no review yet, gold kept though only silver is earned.
    expect(tierState(rolling, TZ, card, spend, T0 + 29 * DAY)).toMatchObject({ tier: 'gold', reviewed: false });
    // Day 30: the review closes [T0, T0 + 30d): 12,000 earned silver.
    expect(tierState(rolling, TZ, card, spend, T0 + 30 * DAY)).toMatchObject({
      tier: 'silver',
      reviewed: true,
      reviewedAtMs: T0 + 30 * DAY,
    });
    // Day 65: the last review closes [T0 + 30d, T0 + 60d): nothing spent.
    expect(tierState(rolling, TZ, card, spend, T0 + 65 * DAY)).toMatchObject({ tier: null, reviewedAtMs: T0 + 60 * DAY });
  });

  it('reviews a calendar year on 1 January in the programme time zone', () => {
    // 1 January 2027 begins at 2026-12-31T16:00Z in Shanghai.
    const newYear = Date.parse('2026-12-31T16:00:00Z');
    expect(periodStartMs(yearly.period, newYear + 1, TZ)).toBe(newYear);
    expect(periodStartMs(yearly.period, newYear - 1, TZ)).toBe(Date.parse('2025-12-31T16:00:00Z'));
    expect(dueReview(yearly.period, T0, newYear - 1, TZ)).toBeNull();
    expect(dueReview(yearly.period, T0, newYear, TZ)).toEqual({ atMs: newYear, fromMs: Date.parse('2025-12-31T16:00:00Z') });
    const card = { tier: 'gold', reviewedAtMs: T0 };
    const spend = [{ atMs: T0 + DAY, amountMinor: 20_000 }];
    // The year ended with 20,000: silver for the next year, and this year's spend starts at zero.
    expect(tierState(yearly, TZ, card, spend, newYear + DAY)).toMatchObject({ tier: 'silver', periodSpendMinor: 0, reviewed: true });
  });

  it('names the highest tier reached, whatever the order the tiers are listed in', () => {
    expect(tierFor([...tiers].reverse(), 60_000)).toBe('gold');
    expect(tierFor(tiers, 0)).toBeNull();
  });

  const entries = fc.array(
    fc.record({ atMs: fc.integer({ min: T0, max: T0 + 400 * DAY }), amountMinor: fc.integer({ min: 0, max: 30_000 }) }),
    { maxLength: 30 },
  );
  const policy = fc.constantFrom(rolling, yearly, { period: { kind: 'rolling', days: 7 }, tiers } as TierPolicy);

  it('never ranks a member below what the current period earned, and never lowers a tier between reviews', () => {
    fc.assert(
      fc.property(policy, entries, fc.integer({ min: 0, max: 400 * DAY }), fc.integer({ min: 1, max: 5 * DAY }), (pol, es, dt, step) => {
        const now = T0 + dt;
        const seen = es.filter((e) => e.atMs <= now);
        const s1 = tierState(pol, TZ, { tier: null, reviewedAtMs: T0 }, seen, now);
        const rank = (t: string | null) => (t === null ? -1 : tiers.find((x) => x.name === t)!.minSpendMinor);
        expect(rank(s1.tier)).toBeGreaterThanOrEqual(rank(tierFor(tiers, s1.periodSpendMinor)));
        // The same moment again: the same card (a review is not applied twice).
        expect(tierState(pol, TZ, s1, seen, now)).toEqual({ ...s1, reviewed: false });
        // A later moment with more spend and no review due: never lower.
        const later = now + step;
        const more: SpendEntry[] = [...seen, { atMs: later, amountMinor: 5_000 }];
        const s2 = tierState(pol, TZ, s1, more, later);
        if (!s2.reviewed) expect(rank(s2.tier)).toBeGreaterThanOrEqual(rank(s1.tier));
        // Only spend from where the rule looks matters.
        const from = spendNeededFromMs(pol, s1, later, TZ);
        expect(
          tierState(
            pol,
            TZ,
            s1,
            more.filter((e) => e.atMs >= from),
            later,
          ),
        ).toEqual(s2);
      }),
    );
  });
});
