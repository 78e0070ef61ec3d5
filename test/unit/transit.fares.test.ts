import { priceDay, weekStartOf, type FareModel, type Tap } from '../../domain/transit/fares';
import { metroville } from '../helpers/transitFareModel';

/** Local Metroville time (UTC+8) on Monday 2026-12-07, as epoch ms. */
function at(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return Date.UTC(2026, 11, 7, h! - 8, m);
}
function on(tapId: string, time: string, stopId: string, routeId?: string): Tap {
  return { tapId, at: at(time), stopId, tapType: 'on', ...(routeId ? { routeId } : {}) };
}
function off(tapId: string, time: string, stopId: string): Tap {
  return { tapId, at: at(time), stopId, tapType: 'off' };
}

describe('a realistic metro and bus day (adult)', () => {
  const taps: Tap[] = [
    on('t1', '08:00', 'M1'),
    off('t2', '08:25', 'M3'), // zone 1 → zone 2: 5.00
    on('t3', '08:40', 'B1', 'R10'), // bus 40 min after the metro departure: 2.00 − 1.00 transfer
    on('t4', '12:00', 'M3'),
    off('t5', '12:20', 'M4'), // zone 2 only: 3.00
    on('t6', '13:00', 'M1'),
    off('t7', '13:15', 'M2'), // zone 1 off-peak: 2.50
    on('t8', '17:30', 'M2'),
    off('t9', '17:50', 'M4'), // 5.00: only 1.50 left under the 15.00 daily cap
    on('t10', '18:30', 'M4'),
    off('t11', '19:00', 'M1'), // 5.00, fully capped
    on('t12', '21:00', 'M1'), // forgotten tap-off: 9.00 maximum fare, outside the cap
  ];
  const day = priceDay({ taps, model: metroville, riderCategoryId: 'adult' });

  it('prices each journey by its leg rule, with the transfer and the cap as adjustments', () => {
    expect(day.journeys.map((j) => [j.journeyId, j.kind, j.fareProductId, j.nominal, j.adjustments, j.charged])).toEqual([
      ['t1', 'complete', 'metro_cross_zone', 500, [], 500],
      ['t3', 'complete', 'bus_flat', 200, [{ type: 'transfer', ruleId: 'fare_transfer_rules.txt:2', amount: -100 }], 100],
      ['t4', 'complete', 'metro_one_zone', 300, [], 300],
      ['t6', 'complete', 'metro_off_peak', 250, [], 250],
      ['t8', 'complete', 'metro_cross_zone', 500, [{ type: 'daily_cap', ruleId: 'daily', amount: -150 }], 350],
      ['t10', 'complete', 'metro_cross_zone', 500, [{ type: 'daily_cap', ruleId: 'daily', amount: -500 }], 0],
      ['t12', 'maximum_fare', 'metro_max_fare', 900, [], 900],
    ]);
  });

  it('charges the daily cap plus the maximum fare, once', () => {
    expect(day.charge).toBe(1500 + 900);
    expect(day.maximumFaresTotal).toBe(900);
    expect(day.nominalTotal).toBe(500 + 200 + 300 + 250 + 500 + 500 + 900);
    expect(day.journeys[6]).toMatchObject({ incomplete: 'missing_tap_off', countsTowardCaps: false, tapOnId: 't12' });
  });

  it('reports cap progress', () => {
    expect(day.caps).toEqual([
      { capId: 'daily', period: 'day', amount: 1500, countedBefore: 0, countedToday: 1500, reached: true },
      { capId: 'weekly', period: 'week', amount: 6000, countedBefore: 0, countedToday: 1500, reached: false },
    ]);
  });

  it('names the stops and times a rider needs to recognise the journey', () => {
    expect(day.journeys[0]).toMatchObject({
      tapOnId: 't1',
      tapOffId: 't2',
      fromStopId: 'M1',
      toStopId: 'M3',
      startedAt: '2026-12-07T00:00:00.000Z',
      endedAt: '2026-12-07T00:25:00.000Z',
      legRuleId: 'fare_leg_rules.txt:2',
    });
  });
});

describe('leg rules and timeframes', () => {
  const one = (taps: Tap[], riderCategoryId = 'adult') => priceDay({ taps, model: metroville, riderCategoryId });

  it('the off-peak rule wins by priority only inside its timeframe', () => {
    expect(one([on('a', '12:00', 'M1'), off('b', '12:10', 'M2')]).charge).toBe(250);
    expect(one([on('a', '08:00', 'M1'), off('b', '08:10', 'M2')]).charge).toBe(300);
    // Off-peak again from 20:00.
    expect(one([on('a', '20:30', 'M1'), off('b', '20:40', 'M2')]).charge).toBe(250);
  });

  it('students pay their own product prices and reach their own lower cap', () => {
    const day = one(
      [
        on('a', '08:00', 'M1'),
        off('b', '08:20', 'M3'),
        on('c', '09:00', 'M3'),
        off('d', '09:20', 'M1'),
        on('e', '17:00', 'M1'),
        off('f', '17:20', 'M3'),
        on('g', '18:00', 'M3'),
        off('h', '18:20', 'M1'),
      ],
      'student',
    );
    expect(day.journeys.map((j) => j.charged)).toEqual([250, 250, 250, 50]);
    expect(day.journeys[3]!.adjustments).toEqual([{ type: 'daily_cap', ruleId: 'daily_student', amount: -200 }]);
    expect(day.charge).toBe(800);
  });

  it('an unknown rider category pays as the default category', () => {
    expect(one([on('a', '08:00', 'M1'), off('b', '08:10', 'M3')], 'pensioner')).toMatchObject({ riderCategoryId: 'adult', charge: 500 });
  });

  it('a stop the model does not know is ignored and named in the trace', () => {
    const day = one([on('a', '08:00', 'X9')]);
    expect(day.charge).toBe(0);
    expect(day.ignoredTaps).toEqual([{ tapId: 'a', reason: 'unknown_network' }]);
  });
});

describe('transfers', () => {
  const one = (taps: Tap[]) => priceDay({ taps, model: metroville, riderCategoryId: 'adult' });

  it('discounts the bus only within 90 minutes of the metro departure', () => {
    expect(one([on('a', '08:00', 'M1'), off('b', '08:20', 'M2'), on('c', '09:30', 'B1', 'R10')]).charge).toBe(300 + 100);
    expect(one([on('a', '08:00', 'M1'), off('b', '08:20', 'M2'), on('c', '09:31', 'B1', 'R10')]).charge).toBe(300 + 200);
  });

  it('gives no discount for bus then metro, nor bus then bus (no such rule)', () => {
    expect(one([on('a', '08:00', 'B1', 'R10'), on('b', '08:20', 'M1'), off('c', '08:30', 'M2')]).charge).toBe(200 + 300);
    expect(one([on('a', '08:00', 'B1', 'R10'), on('b', '08:20', 'B2', 'R20')]).charge).toBe(400);
  });

  it('prices GTFS transfer types 1 (A + AB + B) and 2 (AB)', () => {
    const withType = (fareTransferType: 'a_plus_ab_plus_b' | 'ab'): FareModel => ({
      ...metroville,
      transferRules: [{ ...metroville.transferRules[0]!, fareTransferType }],
    });
    const taps = [on('a', '08:00', 'M1'), off('b', '08:20', 'M3'), on('c', '08:30', 'B1', 'R10')];
    // Type 1: the transfer product is a fee on top: 5.00 + 2.00 + 1.00.
    expect(priceDay({ taps, model: withType('a_plus_ab_plus_b'), riderCategoryId: 'adult' }).charge).toBe(800);
    // Type 2: 1.00 buys both legs, but the bus leg cannot go below zero: 5.00 + 0.
    expect(priceDay({ taps, model: withType('ab'), riderCategoryId: 'adult' }).charge).toBe(500);
  });
});

describe('pairing taps into journeys', () => {
  const one = (taps: Tap[], model: FareModel = metroville) => priceDay({ taps, model, riderCategoryId: 'adult' });

  it('a tap-off reported as a tap-on still ends the journey', () => {
    const day = one([on('a', '08:00', 'M1'), on('b', '08:20', 'M3')]);
    expect(day.journeys).toHaveLength(1);
    expect(day.journeys[0]).toMatchObject({ kind: 'complete', tapOffId: 'b', charged: 500 });
  });

  it('a tap-on reported as a tap-off still starts the journey', () => {
    const day = one([off('a', '08:00', 'M1'), off('b', '08:20', 'M2')]);
    expect(day.journeys.map((j) => [j.kind, j.charged])).toEqual([['complete', 300]]);
  });

  it('a forgotten tap-off followed by a full journey leaves the first incomplete', () => {
    const day = one([on('a', '08:00', 'M1'), on('b', '08:30', 'M3'), off('c', '08:50', 'M4')]);
    expect(day.journeys.map((j) => [j.journeyId, j.kind, j.charged])).toEqual([
      ['a', 'maximum_fare', 900],
      ['b', 'complete', 300],
    ]);
  });

  it('a tap-on older than the longest journey is incomplete, and a lone tap-off takes the maximum fare', () => {
    const day = one([on('a', '08:00', 'M1'), off('b', '11:01', 'M2')]);
    expect(day.journeys.map((j) => [j.kind, j.incomplete, j.charged])).toEqual([
      ['maximum_fare', 'missing_tap_off', 900],
      ['maximum_fare', 'missing_tap_on', 900],
    ]);
    expect(day.charge).toBe(1800);
  });

  it('a bus tap inside a metro journey does not break it', () => {
    const day = one([on('a', '08:00', 'M1'), on('b', '08:10', 'B1', 'R10'), off('c', '08:30', 'M3')]);
    expect(day.journeys.map((j) => [j.journeyId, j.kind, j.charged])).toEqual([
      ['a', 'complete', 500],
      ['b', 'complete', 100],
    ]);
  });

  it('a bus tap-off is not needed and is ignored', () => {
    const day = one([on('a', '08:00', 'B1', 'R10'), { ...off('b', '08:20', 'B2'), routeId: 'R10' }]);
    expect(day.charge).toBe(200);
    expect(day.ignoredTaps).toEqual([{ tapId: 'b', reason: 'tap_off_not_required' }]);
  });

  it('auto-completion ends a journey at the next tap-on and counts it toward the cap', () => {
    const model: FareModel = {
      ...metroville,
      networkRules: metroville.networkRules.map((r) => (r.networkId === 'metro' ? { ...r, autoCompleteWithinSeconds: 12 * 3600 } : r)),
    };
    const day = one([on('a', '08:00', 'M1'), on('b', '17:00', 'M3'), off('c', '17:30', 'M1')], model);
    expect(day.journeys.map((j) => [j.journeyId, j.kind, j.toStopId, j.charged, j.countsTowardCaps])).toEqual([
      ['a', 'auto_completed', 'M3', 500, true],
      ['b', 'complete', 'M1', 500, true],
    ]);
    // Without a later tap-on there is nothing to complete to: the maximum fare applies.
    expect(one([on('a', '08:00', 'M1')], model).journeys[0]).toMatchObject({ kind: 'maximum_fare', charged: 900 });
  });
});

describe('weekly cap', () => {
  it('charges only what is left of the week and says so', () => {
    const day = priceDay({
      taps: [on('a', '08:00', 'M1'), off('b', '08:20', 'M3'), on('c', '09:00', 'M3'), off('d', '09:20', 'M1')],
      model: metroville,
      riderCategoryId: 'adult',
      weekToDate: { weekly: 5800 },
    });
    expect(day.journeys.map((j) => [j.charged, j.adjustments])).toEqual([
      [200, [{ type: 'weekly_cap', ruleId: 'weekly', amount: -300 }]],
      [0, [{ type: 'weekly_cap', ruleId: 'weekly', amount: -500 }]],
    ]);
    expect(day.caps.find((c) => c.capId === 'weekly')).toMatchObject({ countedBefore: 5800, countedToday: 200, reached: true });
  });

  it('finds the first day of the week for a week start day', () => {
    expect(weekStartOf('2026-12-07', 1)).toBe('2026-12-07'); // a Monday
    expect(weekStartOf('2026-12-13', 1)).toBe('2026-12-07'); // the Sunday after
    expect(weekStartOf('2026-12-13', 7)).toBe('2026-12-13');
    expect(weekStartOf('2026-12-12', 7)).toBe('2026-12-06');
  });
});

describe('a TfL-style week: daily caps each day, the weekly cap from the week-to-date of settled days', () => {
  /** Four cross-zone trips a day (20.00 nominal), Monday to Sunday, with one forgotten tap-off on Wednesday. */
  function dayTaps(day: number): Tap[] {
    const base = Date.UTC(2026, 11, 7 + day, 0, 0); // 08:00 local
    const trip = (n: number, hour: number): Tap[] => [
      { tapId: `d${day}-${n}-on`, at: base + hour * 3600_000, stopId: 'M1', tapType: 'on' },
      { tapId: `d${day}-${n}-off`, at: base + hour * 3600_000 + 20 * 60_000, stopId: 'M3', tapType: 'off' },
    ];
    const taps = [...trip(1, 0), ...trip(2, 2), ...trip(3, 8), ...trip(4, 10)];
    if (day === 2) taps.push({ tapId: 'd2-forgot', at: base + 13 * 3600_000, stopId: 'M2', tapType: 'on' });
    return taps;
  }

  it('charges 15.00 a day until the 60.00 week is reached, and still charges maximum fares', () => {
    let weekly = 0;
    const charges: number[] = [];
    for (let day = 0; day < 7; day++) {
      const trace = priceDay({ taps: dayTaps(day), model: metroville, riderCategoryId: 'adult', weekToDate: { weekly } });
      charges.push(trace.charge);
      const w = trace.caps.find((c) => c.capId === 'weekly')!;
      weekly = w.countedBefore + w.countedToday;
    }
    // Mon, Tue, Wed (+ 9.00 maximum fare), Thu reach 60.00; the rest of the week is free.
    expect(charges).toEqual([1500, 1500, 1500 + 900, 1500, 0, 0, 0]);
    expect(weekly).toBe(6000);
  });
});
