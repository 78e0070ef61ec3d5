import type { z } from 'zod';
import type { DomainError } from '../../../domain/errors';
import { at, identifierAt, type Identifier } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { first, type Hl7Message, type Segment } from './message';

/** Helpers shared by the per-message parsers. */

/** The error for a segment the message must have (`ORC segment (common order) is missing`). */
export function missingSegment(name: string, what: string): DomainError {
  return malformed(Hl7ErrorCode.SegmentSequenceError, { segment: name }, `${name} segment (${what}) is missing`);
}

export function requireSegment(msg: Hl7Message, name: string, what: string): Segment {
  const seg = first(msg, name);
  if (seg === undefined) throw missingSegment(name, what);
  return seg;
}

/** PID-3: the first identifier in the list (the HIS's patient id). */
export function patientIdOf(msg: Hl7Message): Identifier {
  const pid = requireSegment(msg, 'PID', 'patient identification');
  for (const rep of pid.repetitions(3)) {
    const id = identifierAt(pid, 3, rep);
    if (id !== undefined) return id;
  }
  throw requiredMissing(at(pid, 3), 'patient identifier list');
}

/**
 * PV1-50 (alternate visit id) carries the Causeway booking ref: the repetition whose assigning
 * authority is ours, else one without an authority. See events.ts for why PV1-50.
 */
export function bookingRefOf(msg: Hl7Message, authority: string): string {
  const pv1 = requireSegment(msg, 'PV1', 'patient visit, carries the booking reference in PV1-50');
  let unmarked: string | undefined;
  for (const rep of pv1.repetitions(50)) {
    const id = identifierAt(pv1, 50, rep);
    if (id === undefined) continue;
    if (id.assigningAuthority === authority) return id.id;
    if (id.assigningAuthority === undefined) unmarked ??= id.id;
  }
  if (unmarked !== undefined) return unmarked;
  throw requiredMissing(at(pv1, 50), `alternate visit id with the ${authority} booking reference`);
}

/** Final guard: the event must match its schema. Extractors check HL7 fields first, so a failure here names a domain path. */
export function validated<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  throw malformed(Hl7ErrorCode.DataTypeError, { segment: 'MSH' }, `message content is invalid at ${path}: ${issue?.message ?? 'unknown'}`);
}
