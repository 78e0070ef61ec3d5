import { instantOfLocalTime, serviceDayOf } from '../hospital/serviceDay';

/**
 * Member tiers earned by spend over a period. Between reviews a tier only rises: the moment the
 * period's spend reaches a threshold the member moves up. A tier falls only at a review, at the end
 * of a period, to what the period that just ended earned. Periods are a rolling number of days
 * (reviewed every that many days since the last review) or the calendar year in the programme's
 * time zone (reviewed on 1 January). Pure: the card's state in, the card's state out.
 */

export type TierPeriod = { kind: 'rolling'; days: number } | { kind: 'calendar_year' };

export interface Tier {
  name: string;
  minSpendMinor: number;
}

export interface TierPolicy {
  period: TierPeriod;
  tiers: readonly Tier[];
}

export interface SpendEntry {
  atMs: number;
  /** Net of refunds; never below zero. */
  amountMinor: number;
}

export interface CardTierState {
  tier: string | null;
  /** The end of the last review (the card's joining at first). */
  reviewedAtMs: number;
}

const DAY_MS = 86_400_000;

function yearStartMs(year: number, timeZone: string): number {
  return instantOfLocalTime(`${String(year).padStart(4, '0')}-01-01`, '00:00', timeZone).getTime();
}

function yearOf(ms: number, timeZone: string): number {
  return Number(serviceDayOf(ms, timeZone).slice(0, 4));
}

/** Where the spend that counts now starts: `days` ago, or this year's first instant. */
export function periodStartMs(period: TierPeriod, atMs: number, timeZone: string): number {
  return period.kind === 'rolling' ? atMs - period.days * DAY_MS : yearStartMs(yearOf(atMs, timeZone), timeZone);
}

/** The latest review boundary after `reviewedAtMs` and at or before `nowMs`, with the period it closes; null when none is due. */
export function dueReview(
  period: TierPeriod,
  reviewedAtMs: number,
  nowMs: number,
  timeZone: string,
): { atMs: number; fromMs: number } | null {
  if (period.kind === 'rolling') {
    const p = period.days * DAY_MS;
    const n = Math.floor((nowMs - reviewedAtMs) / p);
    if (n < 1) return null;
    const atMs = reviewedAtMs + n * p;
    return { atMs, fromMs: atMs - p };
  }
  const year = yearOf(nowMs, timeZone);
  const atMs = yearStartMs(year, timeZone);
  if (atMs <= reviewedAtMs) return null;
  return { atMs, fromMs: yearStartMs(year - 1, timeZone) };
}

/** Cards last reviewed before this instant have a review due at `nowMs` (what the sweep looks for). */
export function reviewDueBeforeMs(period: TierPeriod, nowMs: number, timeZone: string): number {
  return period.kind === 'rolling' ? nowMs - period.days * DAY_MS + 1 : periodStartMs(period, nowMs, timeZone);
}

/** The earliest spend `tierState` looks at (older entries cannot change the answer). */
export function spendNeededFromMs(policy: TierPolicy, card: CardTierState, nowMs: number, timeZone: string): number {
  const review = dueReview(policy.period, card.reviewedAtMs, nowMs, timeZone);
  const current = periodStartMs(policy.period, nowMs, timeZone);
  return review ? Math.min(review.fromMs, current) : current;
}

/** The highest tier the spend reaches (null below every threshold). */
export function tierFor(tiers: readonly Tier[], spendMinor: number): string | null {
  let best: Tier | null = null;
  for (const t of tiers) if (spendMinor >= t.minSpendMinor && (!best || t.minSpendMinor > best.minSpendMinor)) best = t;
  return best?.name ?? null;
}

function rank(tiers: readonly Tier[], name: string | null): number {
  if (name === null) return -1;
  const t = tiers.find((x) => x.name === name);
  // A tier the merchant has since removed counts as none: the next spend or review replaces it.
  return t ? t.minSpendMinor : -1;
}

function spendIn(entries: readonly SpendEntry[], fromMs: number, toMs: number): number {
  let s = 0;
  for (const e of entries) if (e.atMs >= fromMs && e.atMs < toMs) s += Math.max(0, e.amountMinor);
  return s;
}

/**
 * The card at `nowMs`: a due review first (the tier becomes what the ended period earned, up or
 * down), then the current period's spend, which can only raise it.
 */
export function tierState(
  policy: TierPolicy,
  timeZone: string,
  card: CardTierState,
  entries: readonly SpendEntry[],
  nowMs: number,
): CardTierState & { periodSpendMinor: number; reviewed: boolean } {
  let { tier, reviewedAtMs } = card;
  const review = dueReview(policy.period, reviewedAtMs, nowMs, timeZone);
  if (review) {
    tier = tierFor(policy.tiers, spendIn(entries, review.fromMs, review.atMs));
    reviewedAtMs = review.atMs;
  }
  // No upper bound: an order recorded a moment after `nowMs` was read (clocks, or a write racing the read) still counts.
  const periodSpendMinor = spendIn(entries, periodStartMs(policy.period, nowMs, timeZone), Number.POSITIVE_INFINITY);
  const earned = tierFor(policy.tiers, periodSpendMinor);
  if (rank(policy.tiers, earned) > rank(policy.tiers, tier)) tier = earned;
  else if (rank(policy.tiers, tier) < 0) tier = earned;
  return { tier, reviewedAtMs, periodSpendMinor, reviewed: review !== null };
}
