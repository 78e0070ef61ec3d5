import type { Identifier, Location, Practitioner } from './datatypes';
import { cx, pl, segment, skip, ts, xcn, type MessageMeta } from './encode';

/** PID and PV1 as Causeway writes them, shared by every builder. */

export interface PatientInput extends Identifier {
  familyName?: string;
  givenName?: string;
  /** YYYY-MM-DD */
  birthDate?: string;
  sex?: 'M' | 'F' | 'O' | 'U';
  phone?: string;
}

export function pidSegment(p: PatientInput): string {
  return segment('PID', [
    '1',
    undefined,
    cx(p),
    undefined,
    [p.familyName, p.givenName],
    undefined,
    p.birthDate?.replace(/-/g, ''),
    p.sex,
    undefined,
    undefined,
    undefined,
    undefined,
    p.phone,
  ]);
}

export interface VisitInput {
  bookingRef: string;
  /** Assigning authority written with the booking ref in PV1-50. Default CAUSEWAY. */
  bookingRefAuthority?: string;
  visitNumber?: string;
  /** PV1-2, HL7 table 0004; O = outpatient. */
  patientClass?: string;
  department?: Location;
  hospitalService?: string;
  doctor?: Practitioner;
  admittedAt?: string;
}

/** PV1 with the booking ref in PV1-50 (see events.ts for the correlation convention). */
export function pv1Segment(v: VisitInput, meta: MessageMeta): string {
  const fields = skip(50);
  fields[0] = '1';
  fields[1] = v.patientClass ?? 'O';
  fields[2] = pl(v.department);
  fields[6] = xcn(v.doctor);
  fields[9] = v.hospitalService;
  fields[18] = v.visitNumber;
  fields[43] = ts(v.admittedAt, meta);
  fields[49] = [v.bookingRef, undefined, undefined, v.bookingRefAuthority ?? 'CAUSEWAY'];
  return segment('PV1', fields);
}
