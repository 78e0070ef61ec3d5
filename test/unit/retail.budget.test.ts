import fc from 'fast-check';
import { commit, EMPTY_BUDGET, issue, release, reserve, type BudgetState, type CampaignBudget } from '../../domain/retail/budget';

const budget: CampaignBudget = { moneyMinor: 10_000, count: 3, dailyMoneyMinor: 6_000, perUser: 1 };

describe('campaign budgets', () => {
  it('issues within the count and the per-user limit, naming the limit that refuses', () => {
    let s: BudgetState = EMPTY_BUDGET;
    const take = (user: string) => {
      const r = issue(budget, s, user);
      if (r.ok) s = r.state;
      return r.ok ? 'ok' : r.reason;
    };
    expect(['u1', 'u1', 'u2', 'u3', 'u4'].map(take)).toEqual(['ok', 'per_user_limit', 'ok', 'ok', 'coupons_gone']);
    expect(s.issuedCount).toBe(3);
  });

  it('reserves, commits and releases money, refusing with the budget that would be exceeded', () => {
    let s: BudgetState = EMPTY_BUDGET;
    const take = (amount: number) => {
      const r = reserve(budget, s, amount);
      if (r.ok) s = r.state;
      return r.ok ? 'ok' : r.reason;
    };
    expect(take(3_000)).toBe('ok');
    expect(take(3_000)).toBe('ok');
    expect(take(1_000)).toBe('daily_budget_spent'); // 6,000 + 1,000 today
    s = release(s, 3_000, 'reserved', true); // a payment failed
    expect(take(3_000)).toBe('ok');
    s = commit(s, 3_000);
    expect(take(500)).toBe('daily_budget_spent');
    expect(s).toMatchObject({ reservedMinor: 3_000, committedMinor: 3_000, todayMinor: 6_000 });
    expect(() => commit(EMPTY_BUDGET, 1)).toThrow(RangeError);
    expect(() => reserve(budget, EMPTY_BUDGET, 1.5)).toThrow(RangeError);
    // Another day: the money budget still binds.
    const tomorrow: BudgetState = { ...s, todayMinor: 0 };
    expect(reserve(budget, tomorrow, 4_001)).toEqual({ ok: false, reason: 'money_budget_spent' });
  });

  it('never lets issued exceed the count or reserved plus committed exceed any budget, whatever the interleaving', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('issue' as const), user: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ op: fc.constant('reserve' as const), amount: fc.integer({ min: 0, max: 4_000 }) }),
      fc.record({ op: fc.constant('commit' as const) }),
      fc.record({ op: fc.constant('release' as const), committed: fc.boolean() }),
    );
    const wide: CampaignBudget = { ...budget, perUser: 2 };
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let s: BudgetState = EMPTY_BUDGET;
        const reserved: number[] = [];
        const committed: number[] = [];
        for (const st of steps) {
          if (st.op === 'issue') {
            const r = issue(wide, s, st.user);
            if (r.ok) s = r.state;
          } else if (st.op === 'reserve') {
            const r = reserve(wide, s, st.amount);
            if (r.ok) {
              s = r.state;
              reserved.push(st.amount);
            }
          } else if (st.op === 'commit' && reserved.length > 0) {
            const c = reserved.shift()!;
            s = commit(s, c);
            committed.push(c);
          } else if (st.op === 'release') {
            const from = st.committed ? committed : reserved;
            const c = from.shift();
            if (c !== undefined) s = release(s, c, st.committed ? 'committed' : 'reserved', true);
          }
          expect(s.reservedMinor + s.committedMinor).toBeLessThanOrEqual(wide.moneyMinor);
          expect(s.issuedCount).toBeLessThanOrEqual(wide.count);
          expect(s.todayMinor).toBeLessThanOrEqual(wide.dailyMoneyMinor!);
          expect(Math.min(s.reservedMinor, s.committedMinor)).toBeGreaterThanOrEqual(0);
          for (const n of Object.values(s.byUser)) expect(n).toBeLessThanOrEqual(wide.perUser);
          expect(s.reservedMinor).toBe(reserved.reduce((x, r) => x + r, 0));
          expect(s.committedMinor).toBe(committed.reduce((x, r) => x + r, 0));
        }
      }),
    );
  });
});
