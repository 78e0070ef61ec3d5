import fc from 'fast-check';
import { institutionTotal, peakOf, shareOf } from '../../domain/analytics/channelShare';
import { SPENDING_BAND_EDGES_MINOR, SPENDING_BANDS, spendingBandOf } from '../../domain/analytics/spendingBands';
import { parseHl7 } from '../../integrations/hospital/hl7';
import { HOURLY_BOOKING_CURVE, planOtherChannelBookings } from '../../integrations/hospital/simulator';
import { buildOtherChannelBooking } from '../../integrations/hospital/simulator/otherChannels';

const K = 11;
const released = (value: number) => ({ value, why: 'released' as const });

describe('spending bands', () => {
  it('bands at the edges: each edge opens the next band', () => {
    expect(spendingBandOf(0)).toBe('under_1k');
    expect(spendingBandOf(-5_000)).toBe('under_1k');
    expect(spendingBandOf(99_999)).toBe('under_1k');
    expect(spendingBandOf(100_000)).toBe('1k_5k');
    expect(spendingBandOf(1_999_999)).toBe('5k_20k');
    expect(spendingBandOf(5_000_000)).toBe('50k_plus');
    expect(() => spendingBandOf(1.5)).toThrow(RangeError);
  });

  it('is monotone and agrees with width_bucket over the same edges', () => {
    const widthBucket = (x: number) => SPENDING_BAND_EDGES_MINOR.filter((e) => x >= e).length;
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e10 }), fc.integer({ min: 0, max: 1e9 }), (a, d) => {
        expect(SPENDING_BANDS.indexOf(spendingBandOf(a))).toBeLessThanOrEqual(SPENDING_BANDS.indexOf(spendingBandOf(a + d)));
        expect(spendingBandOf(a)).toBe(SPENDING_BANDS[widthBucket(a)]);
      }),
    );
  });
});

describe('channel share rules', () => {
  it("adds a hospital's other channels to Causeway's count; others report their whole total", () => {
    expect(institutionTotal('hospital', 30, 120)).toBe(150);
    expect(institutionTotal('hospital', 30, null)).toBe(30);
    expect(institutionTotal('transit', 30, 460)).toBe(460);
    expect(institutionTotal('retail', 30, null)).toBeNull();
  });

  it('shows a total and a share only beside a released count, and a total only when it is 0 or at least k', () => {
    expect(shareOf(released(58), 460, K)).toEqual({ total: released(460), share: 12.6 });
    expect(shareOf({ value: null, why: 'small' }, 460, K)).toEqual({ total: { value: null, why: 'numerator_withheld' }, share: null });
    expect(shareOf(released(0), 5, K)).toEqual({ total: { value: null, why: 'small' }, share: null });
    expect(shareOf(released(0), 0, K)).toEqual({ total: released(0), share: null });
    expect(shareOf(released(20), null, K)).toEqual({ total: { value: null, why: 'not_reported' }, share: null });
  });

  it('never puts a number beside a withheld count (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.option(fc.integer({ min: 0, max: 1e6 })), (total, maybe) => {
        const numerator = maybe === null ? { value: null, why: 'small' as const } : released(maybe);
        const out = shareOf(numerator, total, K);
        if (numerator.value === null) expect([out.total.value, out.share]).toEqual([null, null]);
        if (out.total.value !== null) expect(out.total.value === 0 || out.total.value >= K).toBe(true);
        if (out.share !== null) expect(out.total.value).not.toBeNull();
      }),
    );
  });

  it("takes the day's peak from released totals, the earliest of equals", () => {
    const h = (hour: number, total: number | null, share: number | null) => ({
      hour,
      total: total === null ? { value: null, why: 'small' as const } : released(total),
      share,
    });
    expect(peakOf([h(8, 300, 10), h(9, 500, 12.5), h(10, 500, 3), h(15, null, null)])).toEqual({ hour: 9, share: 12.5 });
    expect(peakOf([h(3, null, null), h(4, 0, null)])).toEqual({ hour: null, share: null });
  });
});

describe("the HIS simulator's other channels", () => {
  const input = { day: '2026-11-20', count: 500, seed: 9 };

  it('plans the same bookings for the same seed, others for another, on a morning-peaked curve', () => {
    const a = planOtherChannelBookings(input, 480);
    expect(planOtherChannelBookings(input, 480)).toEqual(a);
    expect(planOtherChannelBookings({ ...input, seed: 10 }, 480)).not.toEqual(a);
    expect(new Set(a.map((b) => b.appointmentId)).size).toBe(500);
    const perHour = (h: number) => a.filter((b) => b.hour === h).length;
    const peak = HOURLY_BOOKING_CURVE.indexOf(Math.max(...HOURLY_BOOKING_CURVE));
    expect(perHour(peak)).toBeGreaterThan(perHour(3) + perHour(22) + perHour(23));
    // Every booking falls in its local hour of that day (UTC+8).
    for (const b of a) {
      const local = new Date(Date.parse(b.bookedAt) + 8 * 3_600_000).toISOString();
      expect([local.slice(0, 10), Number(local.slice(11, 13))]).toEqual([input.day, b.hour]);
    }
  });

  it('sends SIU^S12 whose ZBK the parser reads back; a ZBK naming Causeway or nonsense is refused naming ZBK-1', () => {
    const [b] = planOtherChannelBookings({ ...input, count: 1 }, 480);
    const msg = buildOtherChannelBooking({ application: 'HIS', facility: 'h1', localOffsetMinutes: 480 }, b!);
    expect(msg).toMatch(/\rZBK\|/);
    const event = parseHl7(msg);
    expect(event).toMatchObject({
      kind: 'appointment-booked',
      bookingRef: b!.appointmentId,
      bookingChannel: b!.channel,
      bookedAt: b!.bookedAt,
    });
    for (const bad of ['causeway', 'DROP TABLE']) {
      const forged = msg.replace(/\rZBK\|[^|\r]*/, `\rZBK|${bad}`);
      expect(() => parseHl7(forged)).toThrow(/ZBK-1/);
    }
  });
});
