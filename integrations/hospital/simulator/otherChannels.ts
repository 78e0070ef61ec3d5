import { z } from 'zod';
import { buildSiu, newControlId } from '../hl7';
import type { Identity } from './outbound';

/**
 * The HIS's other channels (issue 13, channel share): registrations made at the window, by phone or in
 * another app, reported to Causeway as SIU^S12 with a ZBK segment (channel, booking time). Planned by a
 * seeded generator on a daily curve, so a test or the demo gets the same bookings for the same seed.
 */

/** Relative booking volume per local hour: quiet nights, a morning peak (8–10), a smaller early afternoon. */
export const HOURLY_BOOKING_CURVE: readonly number[] = [
  0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 2, 6, 14, 16, 12, 8, 5, 6, 7, 6, 4, 3, 2, 1.5, 1, 0.8, 0.5, 0.3,
];

/** How a hospital's other registrations split by channel. */
export const DEFAULT_CHANNEL_MIX: Readonly<Record<string, number>> = { window: 0.45, app: 0.3, phone: 0.2, kiosk: 0.05 };

/** A small, fast, seedable generator (mulberry32): the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Picks an index with probability proportional to its weight. */
export function pickWeighted(weights: readonly number[], r: number): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let x = r * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

export const OtherChannelBookingsInput = z
  .object({
    /** The local day (YYYY-MM-DD) the bookings were made on. */
    day: z.iso.date(),
    count: z.number().int().min(0).max(20_000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31),
    /** Channel code → weight; defaults to DEFAULT_CHANNEL_MIX. */
    channels: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), z.number().positive()).optional(),
  })
  .strict();
export type OtherChannelBookingsInput = z.infer<typeof OtherChannelBookingsInput>;

export interface PlannedBooking {
  /** The HIS's own appointment id (SCH-1 with the HIS as authority, and SCH-2). */
  appointmentId: string;
  channel: string;
  /** When it was made, ISO instant. */
  bookedAt: string;
  hour: number;
}

/** The day's bookings, ordered by time. `offsetMinutes` is the hospital's UTC offset (480 for China). */
export function planOtherChannelBookings(input: OtherChannelBookingsInput, offsetMinutes: number): PlannedBooking[] {
  const rand = seededRandom(input.seed);
  const mix = Object.entries(input.channels ?? DEFAULT_CHANNEL_MIX);
  const midnight = Date.parse(`${input.day}T00:00:00Z`) - offsetMinutes * 60_000;
  const out: PlannedBooking[] = [];
  for (let i = 0; i < input.count; i++) {
    const hour = pickWeighted(HOURLY_BOOKING_CURVE, rand());
    const channel =
      mix[
        pickWeighted(
          mix.map(([, w]) => w),
          rand(),
        )
      ]![0];
    const second = Math.floor(rand() * 3600);
    out.push({
      appointmentId: `HIS-${input.day.replaceAll('-', '')}-${input.seed}-${i}`,
      channel,
      bookedAt: new Date(midnight + hour * 3_600_000 + second * 1000).toISOString(),
      hour,
    });
  }
  return out.sort((a, b) => a.bookedAt.localeCompare(b.bookedAt) || a.appointmentId.localeCompare(b.appointmentId));
}

/** SIU^S12 for a booking made through another channel, with ZBK-1 (channel) and ZBK-2 (when). */
export function buildOtherChannelBooking(id: Identity, b: PlannedBooking): string {
  return buildSiu('S12', {
    sendingApplication: id.application,
    sendingFacility: id.facility,
    receivingApplication: 'CAUSEWAY',
    receivingFacility: 'CAUSEWAY',
    controlId: newControlId(),
    localOffsetMinutes: id.localOffsetMinutes,
    bookingRef: b.appointmentId,
    bookingRefAuthority: 'HIS',
    fillerAppointmentId: b.appointmentId,
    slotStart: b.bookedAt,
    // The HIS's own patient id, never a name: Causeway only counts these.
    patient: { id: `P-${b.appointmentId}`, assigningAuthority: 'HIS' },
    bookingChannel: { channel: b.channel, bookedAt: b.bookedAt },
  });
}
