import fc from 'fast-check';
import { priceDay, type FareModel, type Tap } from '../../domain/transit/fares';
import { metroville } from '../helpers/transitFareModel';

/**
 * The fare engine's promises over arbitrary rider-days: taps at any stop (including unknown ones),
 * at any time of a service day, with any declared type.
 */

const DAY_START = Date.UTC(2026, 11, 6, 20, 30); // 04:30 Monday in Metroville (UTC+8)
const stops: { stopId: string; routeId?: string }[] = [
  { stopId: 'M1' },
  { stopId: 'M2' },
  { stopId: 'M3' },
  { stopId: 'M4' },
  { stopId: 'B1', routeId: 'R10' },
  { stopId: 'B2', routeId: 'R20' },
  { stopId: 'X9' },
];

const tapFields = fc.record({
  minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  where: fc.constantFrom(...stops),
  tapType: fc.constantFrom('on' as const, 'off' as const),
});
const tapsArb = fc.array(tapFields, { maxLength: 24 }).map((rows) =>
  rows.map((r, i): Tap => ({
    tapId: `tap-${i}`,
    at: DAY_START + r.minute * 60_000,
    stopId: r.where.stopId,
    tapType: r.tapType,
    ...(r.where.routeId ? { routeId: r.where.routeId } : {}),
  })),
);
const categoryArb = fc.constantFrom('adult', 'student');
/** The sample operator and variants that exercise auto-completion and the other transfer types. */
const variants: FareModel[] = [
  metroville,
  {
    ...metroville,
    networkRules: metroville.networkRules.map((r) => (r.networkId === 'metro' ? { ...r, autoCompleteWithinSeconds: 6 * 3600 } : r)),
    transferRules: [{ ...metroville.transferRules[0]!, fareTransferType: 'ab' }],
  },
  {
    ...metroville,
    transferRules: [{ ...metroville.transferRules[0]!, fareTransferType: 'a_plus_ab_plus_b', toLegGroupId: undefined, transferCount: -1 }],
  },
];
const modelArb = fc.constantFrom(...variants);

describe('fare engine properties', () => {
  it('adding a duplicate of any tap changes nothing', () => {
    fc.assert(
      fc.property(tapsArb, categoryArb, modelArb, fc.nat(), (taps, riderCategoryId, model, pick) => {
        fc.pre(taps.length > 0);
        const dup = { ...taps[pick % taps.length]! };
        const base = priceDay({ taps, model, riderCategoryId });
        expect(priceDay({ taps: [...taps, dup], model, riderCategoryId })).toEqual(base);
        expect(priceDay({ taps: [dup, ...taps, dup], model, riderCategoryId })).toEqual(base);
      }),
    );
  });

  it('any permutation of the taps prices the same day', () => {
    fc.assert(
      fc.property(
        tapsArb.chain((taps) => fc.tuple(fc.constant(taps), fc.shuffledSubarray(taps, { minLength: taps.length, maxLength: taps.length }))),
        categoryArb,
        modelArb,
        ([taps, shuffled], riderCategoryId, model) => {
          expect(priceDay({ taps: shuffled, model, riderCategoryId })).toEqual(priceDay({ taps, model, riderCategoryId }));
        },
      ),
    );
  });

  it('a day never costs more than its daily cap plus the excluded maximum fares', () => {
    fc.assert(
      fc.property(tapsArb, categoryArb, modelArb, (taps, riderCategoryId, model) => {
        const day = priceDay({ taps, model, riderCategoryId });
        const cap = riderCategoryId === 'student' ? 800 : 1500;
        expect(day.charge).toBeLessThanOrEqual(cap + day.maximumFaresTotal);
        expect(day.charge).toBe(day.journeys.reduce((s, j) => s + j.charged, 0));
        for (const j of day.journeys) {
          expect(j.charged).toBeGreaterThanOrEqual(0);
          expect(j.charged).toBe(j.nominal + j.adjustments.reduce((s, a) => s + a.amount, 0));
        }
      }),
    );
  });

  it('week-to-date plus the day never exceeds the weekly cap, maximum fares aside', () => {
    fc.assert(
      fc.property(tapsArb, categoryArb, modelArb, fc.integer({ min: 0, max: 6000 }), (taps, riderCategoryId, model, weekly) => {
        const day = priceDay({ taps, model, riderCategoryId, weekToDate: { weekly } });
        expect(weekly + day.charge - day.maximumFaresTotal).toBeLessThanOrEqual(6000);
        expect(day.caps.find((c) => c.capId === 'weekly')!.countedToday).toBe(day.charge - day.maximumFaresTotal);
      }),
    );
  });

  it('every known tap is used by exactly one journey or named as ignored', () => {
    fc.assert(
      fc.property(tapsArb, modelArb, (taps, model) => {
        const day = priceDay({ taps, model, riderCategoryId: 'adult' });
        const used = [
          ...day.journeys.flatMap((j) => [j.tapOnId, j.tapOffId].filter((id) => id !== undefined)),
          ...day.ignoredTaps.map((t) => t.tapId),
        ];
        expect(used.sort()).toEqual(taps.map((t) => t.tapId).sort());
      }),
    );
  });
});
