/**
 * A campaign's budgets as pure arithmetic: a money budget, a count of coupons, a daily money budget and
 * a per-user limit. A coupon's discount is reserved at checkout, committed when the payment succeeds and
 * released when it fails or the order is refunded in full. Reserved plus committed never exceeds any
 * budget, so concurrent checkouts cannot overspend as long as each step runs under the budget row's
 * lock (the database does that; this module says what each step may do).
 */

export interface CampaignBudget {
  moneyMinor: number;
  count: number;
  dailyMoneyMinor: number | null;
  perUser: number;
}

export interface BudgetState {
  reservedMinor: number;
  committedMinor: number;
  reservedCount: number;
  committedCount: number;
  /** Reserved plus committed today (the day of the campaign's zone), money. */
  todayMinor: number;
  /** Coupons reserved or committed per user. */
  byUser: Readonly<Record<string, number>>;
}

export const EMPTY_BUDGET: BudgetState = {
  reservedMinor: 0,
  committedMinor: 0,
  reservedCount: 0,
  committedCount: 0,
  todayMinor: 0,
  byUser: {},
};

export type BudgetRefusal = 'money_budget_spent' | 'coupons_gone' | 'daily_budget_spent' | 'per_user_limit';

export type BudgetStep = { ok: true; state: BudgetState } | { ok: false; reason: BudgetRefusal };

/** Takes `amountMinor` and one coupon for `user`, or says which budget would be exceeded. */
export function reserve(b: CampaignBudget, s: BudgetState, user: string, amountMinor: number): BudgetStep {
  if (!Number.isInteger(amountMinor) || amountMinor < 0) throw new RangeError('whole minor units');
  if ((s.byUser[user] ?? 0) + 1 > b.perUser) return { ok: false, reason: 'per_user_limit' };
  if (s.reservedCount + s.committedCount + 1 > b.count) return { ok: false, reason: 'coupons_gone' };
  if (s.reservedMinor + s.committedMinor + amountMinor > b.moneyMinor) return { ok: false, reason: 'money_budget_spent' };
  if (b.dailyMoneyMinor !== null && s.todayMinor + amountMinor > b.dailyMoneyMinor) return { ok: false, reason: 'daily_budget_spent' };
  return {
    ok: true,
    state: {
      reservedMinor: s.reservedMinor + amountMinor,
      committedMinor: s.committedMinor,
      reservedCount: s.reservedCount + 1,
      committedCount: s.committedCount,
      todayMinor: s.todayMinor + amountMinor,
      byUser: { ...s.byUser, [user]: (s.byUser[user] ?? 0) + 1 },
    },
  };
}

/** The payment succeeded: the reservation becomes spend. */
export function commit(s: BudgetState, amountMinor: number): BudgetState {
  if (s.reservedCount < 1 || s.reservedMinor < amountMinor) throw new RangeError('nothing reserved to commit');
  return {
    ...s,
    reservedMinor: s.reservedMinor - amountMinor,
    committedMinor: s.committedMinor + amountMinor,
    reservedCount: s.reservedCount - 1,
    committedCount: s.committedCount + 1,
  };
}

/**
 * Gives a coupon back: a reservation whose payment failed, or a committed coupon whose order was
 * refunded in full. The daily budget gets it back only on the day it was taken (`sameDay`).
 */
export function release(s: BudgetState, user: string, amountMinor: number, from: 'reserved' | 'committed', sameDay: boolean): BudgetState {
  const count = from === 'reserved' ? s.reservedCount : s.committedCount;
  const money = from === 'reserved' ? s.reservedMinor : s.committedMinor;
  if (count < 1 || money < amountMinor || (s.byUser[user] ?? 0) < 1) throw new RangeError(`nothing ${from} to release`);
  return {
    reservedMinor: from === 'reserved' ? s.reservedMinor - amountMinor : s.reservedMinor,
    committedMinor: from === 'committed' ? s.committedMinor - amountMinor : s.committedMinor,
    reservedCount: from === 'reserved' ? s.reservedCount - 1 : s.reservedCount,
    committedCount: from === 'committed' ? s.committedCount - 1 : s.committedCount,
    todayMinor: sameDay ? s.todayMinor - amountMinor : s.todayMinor,
    byUser: { ...s.byUser, [user]: (s.byUser[user] ?? 0) - 1 },
  };
}
