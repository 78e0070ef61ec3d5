import { releasedShare, type Entry, type Why } from './tableSuppression';

/**
 * Channel share: Causeway's count next to the institution's total from every channel, per day and hour.
 *
 * What each vertical counts (journey stage in the rollups) and what its total is:
 *  - hospital: bookings (`booked`); the HIS reports the bookings of its *other* channels, so the total
 *    is Causeway's count plus theirs;
 *  - transit: rides (`ride`, an accepted entry tap); the AFC summary counts rides of every medium,
 *    Causeway's included, so the total is what it reports;
 *  - retail: paid orders (`paid`); the POS totals count every tender type, Causeway's included.
 *
 * Releasing: Causeway's counts go through the table rules and the release ledger. The total is shown only
 * when Causeway's count beside it is: a hospital knows its other channels, so its total minus them
 * would give a withheld count back; and a share is shown only when both its parts are.
 */
export type ShareVertical = 'hospital' | 'transit' | 'retail';

export const COUNTED_STAGE: Readonly<Record<ShareVertical, string>> = { hospital: 'booked', transit: 'ride', retail: 'paid' };

/** A channel, medium or tender type as institutions name it: lower-case code, e.g. `window`, `transit_card`. */
export const CHANNEL_CODE = /^[a-z][a-z0-9_]{0,31}$/;

/** The name Causeway's own channel goes by; a hospital's HIS does not report it (Causeway counts its own). */
export const CAUSEWAY_CHANNEL = 'causeway';

/** The institution's total in one bucket; null when it reported nothing for it (transit, retail). */
export function institutionTotal(vertical: ShareVertical, causeway: number, reported: number | null): number | null {
  if (vertical === 'hospital') return causeway + (reported ?? 0);
  return reported;
}

export type ShareWhy = Why | 'numerator_withheld' | 'not_reported';
export interface ShareEntry {
  value: number | null;
  why: ShareWhy;
}

/**
 * The total beside a released (or withheld) Causeway count, and the share of the two in percent.
 * The total is itself held to the cell rule (0 or at least k).
 */
export function shareOf(causeway: Entry, total: number | null, k: number): { total: ShareEntry; share: number | null } {
  if (total === null) return { total: { value: null, why: 'not_reported' }, share: null };
  if (causeway.value === null) return { total: { value: null, why: 'numerator_withheld' }, share: null };
  if (total > 0 && total < k) return { total: { value: null, why: 'small' }, share: null };
  const whole: Entry = { value: total, why: 'released' };
  return { total: whole, share: releasedShare(causeway, whole) };
}

/** The day's peak: the hour with the largest released total (the earliest of equals), with its share. */
export function peakOf(hours: ReadonlyArray<{ hour: number; total: ShareEntry; share: number | null }>): {
  hour: number | null;
  share: number | null;
} {
  let best: { hour: number; total: number; share: number | null } | undefined;
  for (const h of hours) {
    const v = h.total.value;
    if (v === null || v === 0) continue;
    if (!best || v > best.total) best = { hour: h.hour, total: v, share: h.share };
  }
  return best ? { hour: best.hour, share: best.share } : { hour: null, share: null };
}
