/**
 * A campaign's budgets as pure arithmetic. Two budgets are spent at two moments:
 *  - **issuing** a coupon (a shopper's claim, or a grant by rule) takes one from the coupon count and
 *    from the shopper's per-user limit: the stock, as payment platforms' coupon batches count it;
 *  - **checkout** reserves the coupon's discount from the money budget (and the day's), payment commits
 *    it, and a failed payment or a refund releases it.
 * Nothing here ever lets issued exceed the count, or reserved plus committed exceed the money budget,
 * so concurrent claims and checkouts cannot overspend as long as each step runs under the campaign
 * row's lock. `db/repositories/retailCampaigns.ts` is this module in SQL; the property test here and
 * the rush test there check the same rules.
 */

export interface CampaignBudget {
  moneyMinor: number;
  count: number;
  dailyMoneyMinor: number | null;
  perUser: number;
}

export interface BudgetState {
  issuedCount: number;
  reservedMinor: number;
  committedMinor: number;
  /** Reserved plus committed today (the day of the campaign's zone), money. */
  todayMinor: number;
  /** Coupons issued per user. */
  byUser: Readonly<Record<string, number>>;
}

export const EMPTY_BUDGET: BudgetState = { issuedCount: 0, reservedMinor: 0, committedMinor: 0, todayMinor: 0, byUser: {} };

export type BudgetRefusal = 'money_budget_spent' | 'coupons_gone' | 'daily_budget_spent' | 'per_user_limit';

export type BudgetStep = { ok: true; state: BudgetState } | { ok: false; reason: BudgetRefusal };

/** Issues one coupon to `user`, or says which limit stops it. */
export function issue(b: CampaignBudget, s: BudgetState, user: string): BudgetStep {
  if ((s.byUser[user] ?? 0) + 1 > b.perUser) return { ok: false, reason: 'per_user_limit' };
  if (s.issuedCount + 1 > b.count) return { ok: false, reason: 'coupons_gone' };
  return { ok: true, state: { ...s, issuedCount: s.issuedCount + 1, byUser: { ...s.byUser, [user]: (s.byUser[user] ?? 0) + 1 } } };
}

/** Reserves a coupon's discount at checkout, or says which budget would be exceeded. */
export function reserve(b: CampaignBudget, s: BudgetState, amountMinor: number): BudgetStep {
  if (!Number.isInteger(amountMinor) || amountMinor < 0) throw new RangeError('whole minor units');
  if (s.reservedMinor + s.committedMinor + amountMinor > b.moneyMinor) return { ok: false, reason: 'money_budget_spent' };
  if (b.dailyMoneyMinor !== null && s.todayMinor + amountMinor > b.dailyMoneyMinor) return { ok: false, reason: 'daily_budget_spent' };
  return { ok: true, state: { ...s, reservedMinor: s.reservedMinor + amountMinor, todayMinor: s.todayMinor + amountMinor } };
}

/** The payment succeeded: the reservation becomes spend. */
export function commit(s: BudgetState, amountMinor: number): BudgetState {
  if (s.reservedMinor < amountMinor) throw new RangeError('nothing reserved to commit');
  return { ...s, reservedMinor: s.reservedMinor - amountMinor, committedMinor: s.committedMinor + amountMinor };
}

/**
 * Gives money back to the budget: a reservation whose payment failed, or the coupon shares of refunded
 * units. The daily budget gets it back only on the day it was taken (`sameDay`).
 */
export function release(s: BudgetState, amountMinor: number, from: 'reserved' | 'committed', sameDay: boolean): BudgetState {
  const money = from === 'reserved' ? s.reservedMinor : s.committedMinor;
  if (money < amountMinor) throw new RangeError(`nothing ${from} to release`);
  return {
    ...s,
    reservedMinor: from === 'reserved' ? s.reservedMinor - amountMinor : s.reservedMinor,
    committedMinor: from === 'committed' ? s.committedMinor - amountMinor : s.committedMinor,
    todayMinor: sameDay ? s.todayMinor - amountMinor : s.todayMinor,
  };
}
