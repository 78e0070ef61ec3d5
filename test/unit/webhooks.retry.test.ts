import fc from 'fast-check';
import { afterFailure, backoffSeconds, DELIVERY_WINDOW_SECONDS, isDelivered, pauseReason } from '../../domain/webhooks/retry';

describe('webhook retry schedule', () => {
  it('backs off from seconds to hours and stays at the longest step', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map(backoffSeconds)).toEqual([
      5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800, 28_800,
    ]);
  });

  it('keeps whole milliseconds at the top of the jitter (the counterexample fast-check found: 5th failure, jitter → 1)', () => {
    expect(afterFailure(5, 0, 0, 0.9999999999999997)).toEqual({ kind: 'retry', atMs: 1_980_000 });
  });

  it('retries inside the three-day window and gives up past it', () => {
    const start = 1_000_000;
    expect(afterFailure(1, start, start)).toEqual({ kind: 'retry', atMs: start + 5_000 });
    const late = start + DELIVERY_WINDOW_SECONDS * 1000 - 10_000;
    expect(afterFailure(3, late, start)).toEqual({ kind: 'give_up' });
    expect(afterFailure(1, late, start)).toEqual({ kind: 'retry', atMs: late + 5_000 });
  });

  it('never schedules a retry before now or past the window, whatever the jitter (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: DELIVERY_WINDOW_SECONDS * 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, elapsed, jitter) => {
          const r = afterFailure(n, elapsed, 0, jitter);
          if (r.kind === 'give_up') return elapsed + backoffSeconds(n) * 1000 > 0;
          return r.atMs > elapsed && r.atMs <= DELIVERY_WINDOW_SECONDS * 1000 && r.atMs <= elapsed + backoffSeconds(n) * 1100;
        },
      ),
    );
  });

  it('keeps a failing endpoint in hour-long outages and pauses it after a day, or at once on 410', () => {
    const hour = 3_600_000;
    expect(pauseReason({ httpStatus: 500, failingSinceMs: 0, nowMs: hour, pauseAfterSeconds: 86_400 })).toBeNull();
    expect(pauseReason({ httpStatus: null, failingSinceMs: 0, nowMs: 24 * hour, pauseAfterSeconds: 86_400 })).toBe('failing');
    expect(pauseReason({ httpStatus: 410, failingSinceMs: 0, nowMs: 0, pauseAfterSeconds: 86_400 })).toBe('gone');
    expect([200, 204, 299].every(isDelivered)).toBe(true);
    expect([null, 199, 301, 400, 410, 500].some(isDelivered)).toBe(false);
  });
});
