import { formatTimestamp, type Coded, type Location, type Practitioner } from './datatypes';
import { pidSegment, pv1Segment, type PatientInput, type VisitInput } from './build-patient';
import { coded, isV25, message, messageMeta, msh, pl, segment, skip, ts, xcn, type HeaderInput } from './encode';
import type { AdtTrigger, SiuTrigger } from './parse-scheduling';

/** SIU (Causeway → HIS: book S12, cancel S15; simulator: S14, S26) and ADT A04/A08. */

export interface SiuInput extends HeaderInput {
  /** Goes in SCH-1 (placer appointment id). */
  bookingRef: string;
  bookingRefAuthority?: string;
  fillerAppointmentId?: string;
  slotStart?: string;
  durationMinutes?: number;
  doctor?: Practitioner;
  department?: Location;
  patient: PatientInput;
  appointmentReason?: Coded;
  eventReason?: Coded;
  fillerStatus?: string;
  /** A booking the HIS made through another channel: ZBK-1 (channel code) and ZBK-2 (when). */
  bookingChannel?: { channel: string; bookedAt?: string };
}

const DEFAULT_STATUS: Readonly<Record<SiuTrigger, string>> = { S12: 'Booked', S14: 'Booked', S15: 'Cancelled', S26: 'Noshow' };

export function buildSiu(trigger: SiuTrigger, input: SiuInput): string {
  const meta = messageMeta(input);
  const v25 = isV25(meta.version);
  const duration = input.durationMinutes === undefined ? undefined : String(input.durationMinutes);
  const start = ts(input.slotStart, meta);
  // v2.5 moved appointment timing from SCH-11 to the TQ1 segment; write where the version expects.
  const sch = segment('SCH', [
    [input.bookingRef, input.bookingRefAuthority ?? 'CAUSEWAY'],
    [input.fillerAppointmentId],
    undefined,
    undefined,
    undefined,
    coded(input.eventReason),
    coded(input.appointmentReason),
    undefined,
    duration,
    duration === undefined ? undefined : ['MIN', 'minutes', 'ANS+'],
    v25 ? undefined : [undefined, undefined, undefined, start],
    ...skip(13),
    input.fillerStatus ?? DEFAULT_STATUS[trigger],
  ]);
  const segments = [msh(input, 'SIU', trigger, 'SIU_S12', meta), sch];
  if (v25 && (start !== undefined || duration !== undefined)) {
    segments.push(
      segment('TQ1', ['1', undefined, undefined, undefined, undefined, duration === undefined ? undefined : [duration, 'MIN'], start]),
    );
  }
  segments.push(pidSegment(input.patient), segment('RGS', ['1']));
  if (input.department) segments.push(segment('AIL', ['1', undefined, pl(input.department)]));
  if (input.doctor) segments.push(segment('AIP', ['1', undefined, xcn(input.doctor)]));
  if (input.bookingChannel) segments.push(segment('ZBK', [input.bookingChannel.channel, ts(input.bookingChannel.bookedAt, meta)]));
  return message(segments);
}

export interface AdtInput extends HeaderInput, VisitInput {
  patient: PatientInput;
}

export function buildAdt(trigger: AdtTrigger, input: AdtInput): string {
  const meta = messageMeta(input);
  return message([
    msh(input, 'ADT', trigger, 'ADT_A01', meta),
    segment('EVN', [trigger, formatTimestamp(input.sentAt ?? new Date(), meta.offset)]),
    pidSegment(input.patient),
    pv1Segment(input, meta),
  ]);
}
