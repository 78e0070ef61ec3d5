import { z } from 'zod';
import { DomainError, ErrorCode } from '../../../domain/errors';

/** HL7 table 0357 (message error condition codes), the vocabulary of ERR-3 / ERR-1.4. */
export const Hl7ErrorCode = {
  Accepted: '0',
  SegmentSequenceError: '100',
  RequiredFieldMissing: '101',
  DataTypeError: '102',
  TableValueNotFound: '103',
  UnsupportedMessageType: '200',
  UnsupportedEventCode: '201',
  UnsupportedProcessingId: '202',
  UnsupportedVersionId: '203',
  UnknownKeyIdentifier: '204',
  DuplicateKeyIdentifier: '205',
  ApplicationRecordLocked: '206',
  ApplicationInternalError: '207',
} as const;
export type Hl7ErrorCode = (typeof Hl7ErrorCode)[keyof typeof Hl7ErrorCode];

export const HL7_ERROR_TEXT: Readonly<Record<Hl7ErrorCode, string>> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** Where in a message a problem sits: ERR-2 (v2.5+) or ERR-1 components 1–3 (v2.3.1/v2.4). */
export const ErrorLocation = z.object({
  segment: z.string(),
  sequence: z.number().int().positive().optional(),
  field: z.number().int().positive().optional(),
  fieldRepetition: z.number().int().positive().optional(),
  component: z.number().int().positive().optional(),
  subcomponent: z.number().int().positive().optional(),
});
export type ErrorLocation = z.infer<typeof ErrorLocation>;

/** The details every Hl7Malformed error carries, so an ACK can be built from the error alone. */
export const MalformedDetails = z.object({
  /** Human form of the location, e.g. `PID-3` or `OBX-5`. */
  field: z.string(),
  hl7ErrorCode: z.enum(Hl7ErrorCode),
  location: ErrorLocation.optional(),
});
export type MalformedDetails = z.infer<typeof MalformedDetails>;

export interface Where {
  segment: string;
  field?: number;
  /** 1-based ordinal among segments of the same name. */
  sequence?: number;
  component?: number;
}

export function describe(where: Where): string {
  const base = where.field === undefined ? where.segment : `${where.segment}-${where.field}`;
  return where.component === undefined ? base : `${base}.${where.component}`;
}

export function malformed(code: Hl7ErrorCode, where: Where, reason: string): DomainError {
  const location: ErrorLocation = { segment: where.segment, sequence: where.sequence ?? 1 };
  if (where.field !== undefined) location.field = where.field;
  if (where.component !== undefined) location.component = where.component;
  const seq = where.sequence !== undefined && where.sequence > 1 ? ` (${where.segment} #${where.sequence})` : '';
  const details: MalformedDetails = { field: describe(where), hl7ErrorCode: code, location };
  return new DomainError(ErrorCode.Hl7Malformed, `${reason}${seq}`, details);
}

export function requiredMissing(where: Where, what: string): DomainError {
  return malformed(Hl7ErrorCode.RequiredFieldMissing, where, `${describe(where)} (${what}) is required`);
}

/** Reads the ACK-relevant details back out of any error; unknown errors become 207. */
export function malformedDetailsOf(err: unknown): MalformedDetails | undefined {
  if (!(err instanceof DomainError) || err.code !== ErrorCode.Hl7Malformed) return undefined;
  const parsed = MalformedDetails.safeParse(err.details);
  return parsed.success ? parsed.data : undefined;
}
