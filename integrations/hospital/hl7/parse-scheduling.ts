import { CAUSEWAY_CHANNEL, CHANNEL_CODE } from '../../../domain/analytics/channelShare';
import { at, codedAt, locationAt, numberAt, practitionerAt, timestampAt, type LocalZone } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import {
  AppointmentBooked,
  AppointmentCancelled,
  AppointmentModified,
  AppointmentNoShow,
  PatientRegistered,
  PatientUpdated,
  type Hl7Header,
} from './events';
import type { ResolvedParseOptions } from './header';
import { first, type Hl7Message, type Segment } from './message';
import { bookingRefOf, patientIdOf, requireSegment, validated } from './parse-common';

/** SIU (scheduling) and ADT (registration) messages. */

export type SiuTrigger = 'S12' | 'S14' | 'S15' | 'S26';
export type AdtTrigger = 'A01' | 'A04' | 'A08';

const MINUTES_PER_UNIT: Readonly<Record<string, number>> = {
  M: 1,
  MIN: 1,
  MINS: 1,
  MINUTE: 1,
  MINUTES: 1,
  H: 60,
  HR: 60,
  HRS: 60,
  HOUR: 60,
  HOURS: 60,
  S: 1 / 60,
  SEC: 1 / 60,
  SECOND: 1 / 60,
  SECONDS: 1 / 60,
  D: 1440,
  DAY: 1440,
  DAYS: 1440,
};

/**
 * A duration and where its units sit (a separate CE field, or component 2 of a CQ); HL7
 * defaults scheduling durations to minutes.
 */
function minutes(seg: Segment, field: number, unitsField: number, unitsComponent = 1): number | undefined {
  const amount = numberAt(seg, field, 1);
  if (amount === undefined) return undefined;
  const unit = seg.value(unitsField, unitsComponent)?.toUpperCase();
  if (unit === undefined) return amount;
  const factor = MINUTES_PER_UNIT[unit];
  if (factor === undefined) {
    throw malformed(Hl7ErrorCode.TableValueNotFound, at(seg, unitsField), `${seg.name}-${unitsField} duration unit is not recognised`);
  }
  return amount * factor;
}

/**
 * Where the slot time sits moved between versions: v2.3.1/v2.4 put it in SCH-11 (TQ, start in
 * component 4); v2.5 deprecates SCH-11 in favour of a TQ1 segment (TQ1-7 start, TQ1-6 duration).
 * The resource segments (AIS-4, AIL-6, AIP-6) carry it in every version and serve as fallback.
 */
function slotTiming(msg: Hl7Message, sch: Segment, header: Hl7Header, offset: LocalZone) {
  const tq1 = first(msg, 'TQ1');
  const resources: [string, number, number, number][] = [
    ['AIS', 4, 7, 8],
    ['AIL', 6, 9, 10],
    ['AIP', 6, 9, 10],
  ];
  const fromTq1 = tq1 ? { start: timestampAt(tq1, 7, offset), duration: minutes(tq1, 6, 6, 2) } : undefined;
  const fromSch = { start: timestampAt(sch, 11, offset, 4), duration: minutes(sch, 9, 10) };
  const ordered = header.version.startsWith('2.5') ? [fromTq1, fromSch] : [fromSch, fromTq1];
  let start: string | undefined;
  let duration: number | undefined;
  for (const t of ordered) {
    start ??= t?.start;
    duration ??= t?.duration;
  }
  for (const [name, startField, durationField, unitsField] of resources) {
    const seg = first(msg, name);
    if (seg === undefined) continue;
    start ??= timestampAt(seg, startField, offset);
    duration ??= minutes(seg, durationField, unitsField);
  }
  return { start, duration };
}

export function parseSiu(msg: Hl7Message, header: Hl7Header, trigger: SiuTrigger, opts: ResolvedParseOptions) {
  const sch = requireSegment(msg, 'SCH', 'schedule activity information');
  const bookingRef = sch.value(1, 1);
  if (bookingRef === undefined) throw requiredMissing(at(sch, 1), 'placer appointment id, the Causeway booking reference');
  const { start, duration } = slotTiming(msg, sch, header, opts.localZone);
  if (start === undefined && (trigger === 'S12' || trigger === 'S14')) {
    throw requiredMissing(
      header.version.startsWith('2.5') ? { segment: 'TQ1', field: 7 } : at(sch, 11, 4),
      'appointment start time; also looked in SCH-11.4, TQ1-7, AIS-4, AIL-6 and AIP-6',
    );
  }
  const aip = first(msg, 'AIP');
  const ail = first(msg, 'AIL');
  const channel = bookingChannelOf(msg, opts.localZone);
  const body = {
    header,
    bookingRef,
    fillerAppointmentId: sch.value(2, 1),
    slotStart: start,
    durationMinutes: duration,
    doctor: aip ? practitionerAt(aip, 3) : undefined,
    department: ail ? locationAt(ail, 3) : undefined,
    patientId: patientIdOf(msg),
    appointmentReason: codedAt(sch, 7),
    eventReason: codedAt(sch, 6),
    fillerStatus: sch.value(25, 1),
    ...channel,
  };
  switch (trigger) {
    case 'S12':
      return validated(AppointmentBooked, { kind: 'appointment-booked', ...body });
    case 'S14':
      return validated(AppointmentModified, { kind: 'appointment-modified', ...body });
    case 'S15':
      return validated(AppointmentCancelled, { kind: 'appointment-cancelled', ...body });
    case 'S26':
      return validated(AppointmentNoShow, { kind: 'appointment-no-show', ...body });
  }
}

/**
 * ZBK (a Z-segment agreed with the HIS, docs/channel-share.md): ZBK-1 the booking channel as a code
 * (component 1 of a CWE: `window`, `phone`, `app`…), ZBK-2 when the booking was made. Only bookings the
 * HIS made through its other channels carry it; `causeway` is refused, since Causeway counts its own.
 */
function bookingChannelOf(msg: Hl7Message, zone: LocalZone): { bookingChannel?: string; bookedAt?: string } {
  const zbk = first(msg, 'ZBK');
  if (zbk === undefined) return {};
  const code = zbk.value(1, 1)?.toLowerCase();
  if (code === undefined) throw requiredMissing({ segment: 'ZBK', field: 1 }, 'booking channel');
  if (!CHANNEL_CODE.test(code) || code === CAUSEWAY_CHANNEL) {
    throw malformed(Hl7ErrorCode.TableValueNotFound, { segment: 'ZBK', field: 1 }, 'ZBK-1 booking channel is not a channel code');
  }
  const bookedAt = timestampAt(zbk, 2, zone);
  return bookedAt === undefined ? { bookingChannel: code } : { bookingChannel: code, bookedAt };
}

export function parseAdt(msg: Hl7Message, header: Hl7Header, trigger: AdtTrigger, opts: ResolvedParseOptions) {
  const pv1 = requireSegment(msg, 'PV1', 'patient visit');
  const body = {
    header,
    patientId: patientIdOf(msg),
    bookingRef: bookingRefOf(msg, opts.bookingRefAuthority),
    visitNumber: pv1.value(19, 1),
    patientClass: pv1.value(2, 1),
    department: locationAt(pv1, 3),
    hospitalService: pv1.value(10, 1),
    doctor: practitionerAt(pv1, 7),
    admittedAt: timestampAt(pv1, 44, opts.localZone),
  };
  // A01 and A04 both announce the patient's arrival; A08 updates (or calls) a registered patient.
  return trigger !== 'A08'
    ? validated(PatientRegistered, { kind: 'patient-registered', ...body })
    : validated(PatientUpdated, { kind: 'patient-updated', ...body });
}
