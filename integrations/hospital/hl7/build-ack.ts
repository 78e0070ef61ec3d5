import { DomainError, ErrorCode } from '../../../domain/errors';
import { codecOf } from './charset';
import { isV25, message, messageMeta, msh, segment, type Field, type HeaderInput } from './encode';
import { HL7_ERROR_TEXT, Hl7ErrorCode, malformedDetailsOf, type ErrorLocation } from './errors';
import { Hl7Version, ProcessingId, type AckCode } from './events';
import type { PeekedHeader } from './header';

/**
 * ACKs (original mode). The ACK goes back to whoever sent the original, so its MSH-3/4 are the
 * original's MSH-5/6 and vice versa; MSA-2 echoes the original MSH-10.
 */

export interface AckErrorInput {
  code: Hl7ErrorCode;
  /** ERR-4, table 0516: E error, W warning, I information. Default E. */
  severity?: 'E' | 'W' | 'I';
  /** Human text for the sender's operators (ERR-8 in v2.5+, MSA-3 always). */
  text?: string;
  location?: ErrorLocation;
  diagnostic?: string;
}

export interface AckInput {
  /** The message being acknowledged: a parsed header or peekHeader() of a broken one. */
  original: PeekedHeader;
  ackCode: AckCode;
  text?: string;
  errors?: AckErrorInput[];
  controlId?: string;
  sentAt?: string | Date;
  localOffsetMinutes?: number;
  /** Our identity, used when the original left MSH-5/MSH-6 empty. Default CAUSEWAY. */
  sendingApplication?: string;
  sendingFacility?: string;
}

function num(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}

function errSegments(errors: readonly AckErrorInput[], v25: boolean): string[] {
  if (errors.length === 0) return [];
  const codeOf = (e: AckErrorInput): Field => [e.code, HL7_ERROR_TEXT[e.code], 'HL70357'];
  if (!v25) {
    // v2.3.1/v2.4: one ERR, ERR-1 repeating ELD = segment ^ sequence ^ field ^ code (CE as subcomponents).
    return [
      segment('ERR', [
        {
          repeat: errors.map((e) => [
            e.location?.segment,
            num(e.location?.sequence),
            num(e.location?.field),
            [e.code, HL7_ERROR_TEXT[e.code], 'HL70357'],
          ]),
        },
      ]),
    ];
  }
  return errors.map((e) => {
    const l = e.location;
    const erl: Field =
      l === undefined
        ? undefined
        : [l.segment, num(l.sequence), num(l.field), num(l.fieldRepetition), num(l.component), num(l.subcomponent)];
    return segment('ERR', [undefined, erl, codeOf(e), e.severity ?? 'E', undefined, undefined, e.diagnostic, e.text]);
  });
}

export function buildAck(input: AckInput): string {
  const o = input.original;
  const version = Hl7Version.safeParse(o.version);
  const processingId = ProcessingId.safeParse(o.processingId);
  const header: HeaderInput = {
    sendingApplication: o.receivingApplication ?? input.sendingApplication ?? 'CAUSEWAY',
    sendingFacility: o.receivingFacility ?? input.sendingFacility ?? 'CAUSEWAY',
    receivingApplication: o.sendingApplication,
    receivingFacility: o.sendingFacility,
    controlId: input.controlId,
    sentAt: input.sentAt,
    // Answer in the sender's version when we speak it, else in our newest.
    version: version.success ? version.data : '2.5.1',
    processingId: processingId.success ? processingId.data : 'P',
    localOffsetMinutes: input.localOffsetMinutes,
    // The listener writes the ACK in the original's character set when it knows it (else UTF-8, undeclared).
    ...(o.characterSet !== undefined && codecOf(o.characterSet) !== undefined ? { characterSet: o.characterSet } : {}),
  };
  const meta = messageMeta(header);
  const errors = input.errors ?? [];
  const text = input.text ?? errors.find((e) => e.text !== undefined)?.text;
  return message([
    msh(header, 'ACK', o.triggerEvent, 'ACK', meta),
    segment('MSA', [input.ackCode, o.controlId, text]),
    ...errSegments(errors, isV25(meta.version)),
  ]);
}

/** Codes about the envelope (type, event, processing id, version) reject the message outright. */
const REJECT_CODES: ReadonlySet<string> = new Set(['200', '201', '202', '203', '207']);

/**
 * The ACK for a message whose handling failed. Hl7Malformed carries its own ERR details;
 * other errors get a generic 207 so internal messages never leak to the counterpart.
 * AR tells the sender the problem is not in the content (retrying later may succeed); AE that
 * the content itself is wrong.
 */
export function ackForError(original: PeekedHeader, err: unknown, opts: Omit<AckInput, 'original' | 'ackCode' | 'errors'> = {}): string {
  const details = malformedDetailsOf(err);
  let error: AckErrorInput;
  if (details !== undefined && err instanceof DomainError) {
    error = { code: details.hl7ErrorCode, text: err.message, location: details.location };
  } else if (err instanceof DomainError && err.code === ErrorCode.NotFound) {
    error = { code: Hl7ErrorCode.UnknownKeyIdentifier, text: 'Unknown key identifier' };
  } else if (err instanceof DomainError && err.code === ErrorCode.Conflict) {
    error = { code: Hl7ErrorCode.DuplicateKeyIdentifier, text: 'Duplicate key identifier' };
  } else if (err instanceof DomainError && (err.code === ErrorCode.Forbidden || err.code === ErrorCode.Unauthenticated)) {
    // HL7 has no authentication error code: 207 makes it an AR, and the text says why.
    error = { code: Hl7ErrorCode.ApplicationInternalError, text: err.message };
  } else {
    error = { code: Hl7ErrorCode.ApplicationInternalError, text: 'Application internal error' };
  }
  const ackCode = REJECT_CODES.has(error.code) ? 'AR' : 'AE';
  return buildAck({ ...opts, original, ackCode, errors: [error] });
}

export function acceptAck(original: PeekedHeader, opts: Omit<AckInput, 'original' | 'ackCode'> = {}): string {
  return buildAck({ ...opts, original, ackCode: 'AA' });
}
