import fc from 'fast-check';
import { commit, EMPTY_BUDGET, release, reserve, type BudgetState, type CampaignBudget } from '../../domain/retail/budget';

const budget: CampaignBudget = { moneyMinor: 10_000, count: 3, dailyMoneyMinor: 6_000, perUser: 1 };

describe('campaign budgets', () => {
  it('reserves, commits and releases, refusing with the budget that would be exceeded', () => {
    let s: BudgetState = EMPTY_BUDGET;
    const take = (user: string, amount: number) => {
      const r = reserve(budget, s, user, amount);
      if (r.ok) s = r.state;
      return r.ok ? 'ok' : r.reason;
    };
    expect(take('u1', 3_000)).toBe('ok');
    expect(take('u1', 1_000)).toBe('per_user_limit');
    expect(take('u2', 3_000)).toBe('ok');
    expect(take('u3', 1_000)).toBe('daily_budget_spent'); // 6,000 + 1,000 today
    s = release(s, 'u2', 3_000, 'reserved', true); // u2's payment failed
    expect(take('u3', 3_000)).toBe('ok');
    s = commit(s, 3_000);
    expect(take('u4', 500)).toBe('daily_budget_spent');
    expect(s).toMatchObject({ reservedMinor: 3_000, committedMinor: 3_000, reservedCount: 1, committedCount: 1, todayMinor: 6_000 });
    expect(() => commit(EMPTY_BUDGET, 1)).toThrow(RangeError);
  });

  it('runs out of coupons before money when the count is the tighter budget', () => {
    let s: BudgetState = EMPTY_BUDGET;
    const wide: CampaignBudget = { moneyMinor: 1_000_000, count: 2, dailyMoneyMinor: null, perUser: 5 };
    for (const u of ['a', 'b']) s = (reserve(wide, s, u, 100) as { state: BudgetState }).state;
    expect(reserve(wide, s, 'c', 100)).toEqual({ ok: false, reason: 'coupons_gone' });
  });

  it('never lets reserved plus committed exceed any budget, whatever the interleaving', () => {
    const step = fc.oneof(
      fc.record({
        op: fc.constant('reserve' as const),
        user: fc.constantFrom('a', 'b', 'c', 'd'),
        amount: fc.integer({ min: 0, max: 4_000 }),
      }),
      fc.record({ op: fc.constant('commit' as const) }),
      fc.record({ op: fc.constant('release' as const), committed: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let s: BudgetState = EMPTY_BUDGET;
        const reserved: Array<{ user: string; amount: number }> = [];
        const committed: Array<{ user: string; amount: number }> = [];
        for (const st of steps) {
          if (st.op === 'reserve') {
            const r = reserve(budget, s, st.user, st.amount);
            if (r.ok) {
              s = r.state;
              reserved.push({ user: st.user, amount: st.amount });
            }
          } else if (st.op === 'commit' && reserved.length > 0) {
            const c = reserved.shift()!;
            s = commit(s, c.amount);
            committed.push(c);
          } else if (st.op === 'release') {
            const from = st.committed ? committed : reserved;
            const c = from.shift();
            if (c) s = release(s, c.user, c.amount, st.committed ? 'committed' : 'reserved', true);
          }
          expect(s.reservedMinor + s.committedMinor).toBeLessThanOrEqual(budget.moneyMinor);
          expect(s.reservedCount + s.committedCount).toBeLessThanOrEqual(budget.count);
          expect(s.todayMinor).toBeLessThanOrEqual(budget.dailyMoneyMinor!);
          expect(Math.min(s.reservedMinor, s.committedMinor, s.reservedCount, s.committedCount)).toBeGreaterThanOrEqual(0);
          for (const n of Object.values(s.byUser)) expect(n).toBeLessThanOrEqual(budget.perUser);
          expect(s.reservedMinor).toBe(reserved.reduce((x, r) => x + r.amount, 0));
          expect(s.committedMinor).toBe(committed.reduce((x, r) => x + r.amount, 0));
        }
      }),
    );
  });
});
