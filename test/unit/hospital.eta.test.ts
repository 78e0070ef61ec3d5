import fc from 'fast-check';
import {
  DEFAULT_QUEUE_ETA_CONFIG,
  estimateWaitMinutes,
  estimateWaitMs,
  initialStats,
  isTurnNear,
  msUntilNearByEta,
  observeConsultation,
} from '../../domain/hospital/queueEta';

const MIN = 60_000;
const config = {
  priorConsultationMinutes: 10,
  ewmaAlpha: 0.5,
  minObservedMinutes: 1,
  maxObservedMinutes: 30,
  nearPosition: 2,
  nearMinutes: 15,
};

describe('consultation statistics', () => {
  it('start from the per-doctor prior', () => {
    expect(initialStats(config)).toEqual({ avgMs: 10 * MIN, samples: 0 });
    expect(initialStats({ ...DEFAULT_QUEUE_ETA_CONFIG, priorConsultationMinutes: 7.5 })).toEqual({ avgMs: 7.5 * MIN, samples: 0 });
  });

  it('move towards observations by the EWMA weight', () => {
    const once = observeConsultation(initialStats(config), 6 * MIN, config);
    expect(once).toEqual({ avgMs: 8 * MIN, samples: 1 }); // 0.5 × 6 + 0.5 × 10
    expect(observeConsultation(once, 4 * MIN, config)).toEqual({ avgMs: 6 * MIN, samples: 2 });
  });

  it('clamp outliers: a lunch break or an instant no-show moves the estimate only as far as the bounds', () => {
    expect(observeConsultation(initialStats(config), 180 * MIN, config).avgMs).toBe(20 * MIN); // clamped to 30
    expect(observeConsultation(initialStats(config), 5_000, config).avgMs).toBe(5.5 * MIN); // clamped to 1
    expect(observeConsultation(initialStats(config), Number.NaN, config)).toEqual(initialStats(config));
  });

  it('converge to a steady consultation length and stay within the clamp bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 * 3_600_000 }), { maxLength: 60 }), (durations) => {
        let stats = initialStats(config);
        for (const d of durations) stats = observeConsultation(stats, d, config);
        expect(stats.samples).toBe(durations.length);
        expect(stats.avgMs).toBeGreaterThanOrEqual(1 * MIN);
        expect(stats.avgMs).toBeLessThanOrEqual(30 * MIN);
      }),
    );
    let stats = initialStats(config);
    for (let i = 0; i < 30; i++) stats = observeConsultation(stats, 4 * MIN, config);
    expect(Math.abs(stats.avgMs - 4 * MIN)).toBeLessThan(1_000);
  });
});

describe('wait estimate', () => {
  const now = 1_700_000_000_000;

  it('is one average per patient ahead when the doctor is between patients', () => {
    expect(estimateWaitMinutes({ position: 1, avgMs: 8 * MIN, currentStartedAtMs: null, nowMs: now })).toBe(0);
    expect(estimateWaitMinutes({ position: 3, avgMs: 8 * MIN, currentStartedAtMs: null, nowMs: now })).toBe(16);
  });

  it('adds what is left of the consultation in progress, never a negative remainder', () => {
    expect(estimateWaitMs({ position: 1, avgMs: 8 * MIN, currentStartedAtMs: now - 3 * MIN, nowMs: now })).toBe(5 * MIN);
    expect(estimateWaitMs({ position: 2, avgMs: 8 * MIN, currentStartedAtMs: now - 3 * MIN, nowMs: now })).toBe(13 * MIN);
    expect(estimateWaitMs({ position: 2, avgMs: 8 * MIN, currentStartedAtMs: now - 20 * MIN, nowMs: now })).toBe(8 * MIN);
  });

  it('rounds up to whole minutes', () => {
    expect(estimateWaitMinutes({ position: 1, avgMs: 8 * MIN, currentStartedAtMs: now - 3 * MIN + 1, nowMs: now })).toBe(6);
    expect(estimateWaitMinutes({ position: 1, avgMs: 8 * MIN, currentStartedAtMs: now - 3 * MIN, nowMs: now })).toBe(5);
  });

  it('never decreases further back in the queue and never increases as time passes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.option(fc.integer({ min: 0, max: 7_200_000 }), { nil: null }),
        fc.integer({ min: 0, max: 600_000 }),
        (position, avgMs, startedAgo, later) => {
          const base = { avgMs, currentStartedAtMs: startedAgo === null ? null : now - startedAgo, nowMs: now };
          expect(estimateWaitMs({ ...base, position: position + 1 })).toBeGreaterThanOrEqual(estimateWaitMs({ ...base, position }));
          expect(estimateWaitMs({ ...base, position, nowMs: now + later })).toBeLessThanOrEqual(estimateWaitMs({ ...base, position }));
          expect(estimateWaitMs({ ...base, position })).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('your turn is near', () => {
  it('by position or by ETA, whichever comes first', () => {
    expect(isTurnNear({ position: 2, etaMinutes: 99 }, config)).toBe(true);
    expect(isTurnNear({ position: 3, etaMinutes: 15 }, config)).toBe(true);
    expect(isTurnNear({ position: 3, etaMinutes: 16 }, config)).toBe(false);
  });

  it('knows when time alone will make a patient near', () => {
    const now = 1_700_000_000_000;
    const base = { avgMs: 10 * MIN, currentStartedAtMs: now - 2 * MIN, nowMs: now };
    // Position 2: wait = 8 + 10 = 18 min; near at 15 → in 3 minutes.
    expect(msUntilNearByEta({ ...base, position: 2 }, config)).toBe(3 * MIN);
    expect(estimateWaitMinutes({ ...base, position: 2, nowMs: now + 3 * MIN })).toBe(15);
    expect(estimateWaitMinutes({ ...base, position: 2, nowMs: now + 3 * MIN - 1 })).toBe(16);
    expect(msUntilNearByEta({ ...base, position: 1 }, config)).toBe(0);
    // Position 3 needs 20 min for the two ahead of the current one: time alone never gets there.
    expect(msUntilNearByEta({ ...base, position: 3 }, config)).toBeUndefined();
    expect(msUntilNearByEta({ ...base, currentStartedAtMs: null, position: 3 }, config)).toBeUndefined();
  });

  it('the instant it predicts is exactly when the ETA first reaches the threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: MIN, max: 30 * MIN }),
        fc.integer({ min: 0, max: 60 * MIN }),
        (position, avgMs, startedAgo) => {
          const now = 1_700_000_000_000;
          const input = { position, avgMs, currentStartedAtMs: now - startedAgo, nowMs: now };
          const due = msUntilNearByEta(input, config);
          if (due === undefined) return;
          expect(estimateWaitMinutes({ ...input, nowMs: now + due })).toBeLessThanOrEqual(config.nearMinutes);
          if (due > 0) expect(estimateWaitMinutes({ ...input, nowMs: now + due - 1 })).toBeGreaterThan(config.nearMinutes);
        },
      ),
    );
  });
});
