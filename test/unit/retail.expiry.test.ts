import fc from 'fast-check';
import { dueExpiries, expiryKeyOf, pointsExpiringWithin, type AvailableMovement } from '../../domain/retail/expiry';
import { balanceOf, EMPTY_LEDGER, record, type Ledger } from '../../domain/retail/points';

const DAY = 86_400_000;

describe('points expiry', () => {
  it('expires what is left of lots older than the age, oldest redeemed first', () => {
    const ms: AvailableMovement[] = [
      { key: 'release:a', availableDelta: 100, atMs: 0 },
      { key: 'release:b', availableDelta: 50, atMs: 10 * DAY },
      { key: 'redeem:1', availableDelta: -120, atMs: 20 * DAY },
      { key: 'release:c', availableDelta: 30, atMs: 40 * DAY },
    ];
    // The redemption took all of a (100) and 20 of b: at day 41 with a 30-day age, b's 30 expire; c is young.
    expect(dueExpiries(ms, 30 * DAY, 41 * DAY)).toEqual([{ key: 'expire:release:b', lotKey: 'release:b', points: 30 }]);
    expect(dueExpiries(ms, 30 * DAY, 40 * DAY)).toEqual([{ key: 'expire:release:b', lotKey: 'release:b', points: 30 }]);
    expect(dueExpiries(ms, 30 * DAY, 40 * DAY - 1)).toEqual([]);
    const after = [...ms, { key: 'expire:release:b', availableDelta: -30, atMs: 41 * DAY }];
    expect(dueExpiries(after, 30 * DAY, 41 * DAY)).toEqual([]);
    expect(dueExpiries(after, 30 * DAY, 70 * DAY)).toEqual([{ key: 'expire:release:c', lotKey: 'release:c', points: 30 }]);
  });

  it('warns of what will expire within the horizon and has not yet, with the first of those expiries', () => {
    const ms: AvailableMovement[] = [
      { key: 'release:a', availableDelta: 100, atMs: 0 },
      { key: 'release:b', availableDelta: 50, atMs: 10 * DAY },
      { key: 'redeem:1', availableDelta: -120, atMs: 20 * DAY },
      { key: 'release:c', availableDelta: 30, atMs: 40 * DAY },
    ];
    // 30-day age, 3-day horizon: at day 38 what is left of b (30) expires on day 40; c (day 70) is not yet near.
    expect(pointsExpiringWithin(ms, 30 * DAY, 38 * DAY, 3 * DAY)).toEqual({ points: 30, firstExpiresAtMs: 40 * DAY });
    expect(pointsExpiringWithin(ms, 30 * DAY, 36 * DAY, 3 * DAY)).toBeNull();
    const expired = [...ms, { key: 'expire:release:b', availableDelta: -30, atMs: 40 * DAY }];
    expect(pointsExpiringWithin(expired, 30 * DAY, 41 * DAY, 3 * DAY)).toBeNull();
    expect(pointsExpiringWithin(expired, 30 * DAY, 68 * DAY, 3 * DAY)).toEqual({ points: 30, firstExpiresAtMs: 70 * DAY });
  });

  // A ledger built by random releases, redemptions within the balance and expiry runs, against a
  // model that keeps every point as its own item in a queue.
  const op = fc.oneof(
    fc.record({ t: fc.constant('release' as const), n: fc.integer({ min: 1, max: 50 }), dt: fc.integer({ min: 0, max: 20 * DAY }) }),
    fc.record({ t: fc.constant('redeem' as const), n: fc.integer({ min: 1, max: 80 }), dt: fc.integer({ min: 0, max: 5 * DAY }) }),
    fc.record({ t: fc.constant('expire' as const), n: fc.constant(0), dt: fc.integer({ min: 0, max: 20 * DAY }) }),
  );

  it('keeps the balance non-negative and equal to the ledger, expires exactly the due points, and is idempotent', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 40 }), (ops, ageDays) => {
        const age = ageDays * DAY;
        let ledger: Ledger = EMPTY_LEDGER;
        let queue: number[] = []; // each available point's lot time, oldest first
        let now = 0;
        let i = 0;
        const movements = (): AvailableMovement[] => ledger.movements.map((m) => ({ key: m.key, availableDelta: m.points, atMs: m.atMs }));
        for (const o of ops) {
          now += o.dt;
          i++;
          if (o.t === 'release') {
            ledger = record(ledger, { key: `release:${i}`, kind: 'release', points: o.n, bucket: 'available', atMs: now });
            queue.push(...Array<number>(o.n).fill(now));
          } else if (o.t === 'redeem') {
            const n = Math.min(o.n, balanceOf(ledger).available);
            if (n === 0) continue;
            ledger = record(ledger, { key: `redeem:${i}`, kind: 'redeem', points: -n, bucket: 'available', atMs: now });
            queue = queue.slice(n);
          } else {
            const due = dueExpiries(movements(), age, now);
            for (const e of due) ledger = record(ledger, { key: e.key, kind: 'expire', points: -e.points, bucket: 'available', atMs: now });
            const expected = queue.filter((t) => t + age <= now).length;
            expect(due.reduce((s, e) => s + e.points, 0)).toBe(expected);
            queue = queue.filter((t) => t + age > now);
            // Again at once: nothing more.
            expect(dueExpiries(movements(), age, now)).toEqual([]);
            // The same keys recorded twice change nothing.
            for (const e of due) ledger = record(ledger, { key: e.key, kind: 'expire', points: -e.points, bucket: 'available', atMs: now });
          }
          const available = balanceOf(ledger).available;
          expect(available).toBeGreaterThanOrEqual(0);
          expect(available).toBe(ledger.movements.reduce((s, m) => s + m.points, 0));
          expect(available).toBe(queue.length);
        }
        for (const e of dueExpiries(movements(), age, now)) expect(e.key).toBe(expiryKeyOf(e.lotKey));
      }),
      { numRuns: 300 },
    );
  });
});
