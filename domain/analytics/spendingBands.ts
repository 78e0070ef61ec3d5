/**
 * Yearly spending bands: a user's net spend in a year (paid minus refunded, CNY minor units) falls in
 * one band. Bands are wide on purpose: the report counts people per band, never amounts. The edges are
 * the band's lower bounds after the first; SQL bands with the same edges (`width_bucket`), so the
 * refresh (db/migrations/1767610000000-SpendingBands.ts) and this rule always agree.
 */
export const SPENDING_BAND_EDGES_MINOR = [100_000, 500_000, 2_000_000, 5_000_000] as const;
export const SPENDING_BANDS = ['under_1k', '1k_5k', '5k_20k', '20k_50k', '50k_plus'] as const;
export type SpendingBand = (typeof SPENDING_BANDS)[number];

/** The band of a year's net spend; a net below zero (refunds of last year's payments) is the lowest band. */
export function spendingBandOf(spendMinor: number): SpendingBand {
  if (!Number.isSafeInteger(spendMinor)) throw new RangeError('spend is a whole number of minor units');
  let i = 0;
  while (i < SPENDING_BAND_EDGES_MINOR.length && spendMinor >= SPENDING_BAND_EDGES_MINOR[i]!) i++;
  return SPENDING_BANDS[i]!;
}
