import { z } from 'zod';
import { DEFAULT_ENCODING, decodeEscapes, readEncodingCharacters, type EncodingCharacters } from './escape';
import { at, timestampAt, type LocalZone } from './datatypes';
import { assertKnownCharset } from './charset';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { Hl7Version, ProcessingId, type AckHeader } from './events';
import type { Segment } from './message';

export interface ParseOptions {
  /** Offset (minutes east of UTC) of timestamps sent without one; the hospital's zone. Default +480 (China). */
  localOffsetMinutes?: number;
  /** The sending hospital's IANA zone; when set it is used instead of localOffsetMinutes. */
  timeZone?: string;
  /** Currency of amounts sent without a denomination. Default CNY. */
  defaultCurrency?: string;
  /** Assigning authority that marks our booking ref in PV1-50. Default CAUSEWAY. */
  bookingRefAuthority?: string;
}

export interface ResolvedParseOptions {
  /** Where timestamps without an offset were written. */
  localZone: LocalZone;
  defaultCurrency: string;
  bookingRefAuthority: string;
}

export function resolveParseOptions(opts: ParseOptions = {}): ResolvedParseOptions {
  return {
    localZone: opts.timeZone !== undefined ? { timeZone: opts.timeZone } : (opts.localOffsetMinutes ?? 480),
    defaultCurrency: opts.defaultCurrency ?? 'CNY',
    bookingRefAuthority: opts.bookingRefAuthority ?? 'CAUSEWAY',
  };
}

/** HD: namespace id, else universal id. */
function hd(msh: Segment, field: number): string | undefined {
  return msh.value(field, 1) ?? msh.value(field, 2);
}

/** An institution id as we register them. Anything else in MSH-4 names no institution. */
const INSTITUTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The raw (still escaped) leaf at component/subcomponent of the first repetition, '' when absent. */
export type HdLeaf = (component: number, subcomponent: number) => string;

export type SendingFacility = { id: string } | { invalid: string } | undefined;

/**
 * THE reader of MSH-4, used by peekHeader (the sender check) and parseHeader (what is stored and
 * dispatched), so both always see the same institution. The namespace id (HD.1), or the universal
 * id (HD.2) when HD.1 is empty, taken verbatim: sub-components, escape sequences, padding or any
 * character an institution id cannot hold make MSH-4 invalid rather than being normalised into
 * something that might match another hospital.
 */
export function readSendingFacility(leaf: HdLeaf, escape: string): SendingFacility {
  const component = leaf(1, 1) !== '' || leaf(1, 2) !== '' ? 1 : 2;
  const raw = leaf(component, 1);
  if (raw === '' && leaf(component, 2) === '') return undefined;
  if (leaf(component, 2) !== '') return { invalid: `MSH-4.${component} must not have sub-components` };
  if (raw.includes(escape)) return { invalid: `MSH-4.${component} must not contain escape sequences` };
  if (!INSTITUTION_ID.test(raw)) return { invalid: `MSH-4.${component} is not a valid institution id` };
  return { id: raw };
}

function facilityOf(msh: Segment): string | undefined {
  const read = readSendingFacility((c, s) => msh.raw(4, c, s), DEFAULT_ENCODING.escape);
  if (read === undefined) return undefined;
  if ('invalid' in read) throw malformed(Hl7ErrorCode.DataTypeError, at(msh, 4), read.invalid);
  return read.id;
}

/** MSH → header. MSH-4 is left optional here; parse.ts requires it for everything but ACKs. */
export function parseHeader(msh: Segment, opts: ResolvedParseOptions): AckHeader {
  const messageType = msh.value(9, 1);
  if (messageType === undefined) throw requiredMissing(at(msh, 9, 1), 'message type');
  const controlId = msh.value(10);
  if (controlId === undefined) throw requiredMissing(at(msh, 10), 'message control id');
  const sentAt = timestampAt(msh, 7, opts.localZone);
  if (sentAt === undefined) throw requiredMissing(at(msh, 7), 'date/time of message');
  const versionText = msh.value(12, 1);
  if (versionText === undefined) throw requiredMissing(at(msh, 12), 'version id');
  const version = Hl7Version.safeParse(versionText);
  if (!version.success) {
    throw malformed(Hl7ErrorCode.UnsupportedVersionId, at(msh, 12), `MSH-12 version ${versionText} is not supported (2.3–2.5.1)`);
  }
  // The transport decoded the bytes by MSH-18 (or as UTF-8 when it did not know it): refuse what we could not read.
  assertKnownCharset(msh.value(18, 1));
  const processingText = msh.value(11, 1);
  if (processingText === undefined) throw requiredMissing(at(msh, 11), 'processing id');
  const processingId = ProcessingId.safeParse(processingText);
  if (!processingId.success) {
    throw malformed(Hl7ErrorCode.UnsupportedProcessingId, at(msh, 11), 'MSH-11 processing id must be P, D or T');
  }
  const header: AckHeader = {
    messageType,
    triggerEvent: msh.value(9, 2),
    messageStructure: msh.value(9, 3),
    controlId,
    sendingApplication: hd(msh, 3),
    sendingFacility: facilityOf(msh),
    receivingApplication: hd(msh, 5),
    receivingFacility: hd(msh, 6),
    sentAt,
    version: version.data,
    processingId: processingId.data,
  };
  return header;
}

/** Whatever could be read from MSH of a message that may be broken; every field optional. */
export const PeekedHeader = z.object({
  controlId: z.string().optional(),
  messageType: z.string().optional(),
  triggerEvent: z.string().optional(),
  version: z.string().optional(),
  processingId: z.string().optional(),
  sendingApplication: z.string().optional(),
  sendingFacility: z.string().optional(),
  receivingApplication: z.string().optional(),
  receivingFacility: z.string().optional(),
  /** MSH-18 as sent, so the ACK can declare the character set it is written in. */
  characterSet: z.string().optional(),
});
export type PeekedHeader = z.infer<typeof PeekedHeader>;

/** Longest first segment peekHeader reads; a real MSH is a few hundred characters. */
export const MAX_HEADER_CHARS = 4096;

/**
 * The first segment of a message, found without touching the rest: the sender check runs on it
 * before the body is parsed. Leading BOM and blank lines are skipped as splitSegments does.
 */
export function firstSegment(raw: string): string | undefined {
  let i = raw.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < raw.length && /\s/.test(raw.charAt(i))) i++;
  if (i >= raw.length) return undefined;
  const cr = raw.indexOf('\r', i);
  const lf = raw.indexOf('\n', i);
  const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
  const stop = end === -1 ? raw.length : end;
  if (stop - i > MAX_HEADER_CHARS) return undefined;
  return raw.slice(i, stop);
}

/**
 * Best-effort MSH read that never throws, for the sender check and rejecting ACKs: even a message
 * we cannot parse should get an ACK that echoes its MSH-10 and addresses its sender. Reads the
 * first segment only.
 */
export function peekHeader(raw: string): PeekedHeader {
  if (typeof raw !== 'string') return {};
  const line = firstSegment(raw);
  if (line === undefined || !line.startsWith('MSH') || line.length < 4) return {};
  const read = readEncodingCharacters(line);
  const enc: EncodingCharacters = typeof read === 'string' ? { ...DEFAULT_ENCODING, field: line.charAt(3) } : read;
  // fields[0] is MSH-2, so MSH-n sits at n - 2.
  const fields = line.slice(4).split(enc.field);
  const leafOf =
    (n: number): HdLeaf =>
    (component, subcomponent) =>
      fields[n - 2]?.split(enc.repetition)[0]?.split(enc.component)[component - 1]?.split(enc.subcomponent)[subcomponent - 1] ?? '';
  const get = (n: number, component = 1): string | undefined => {
    const value = leafOf(n)(component, 1);
    if (value === '') return undefined;
    try {
      return decodeEscapes(value, enc).trim() || undefined;
    } catch {
      return undefined; // an escape bomb in the header: the ACK simply does not echo that field
    }
  };
  const facility = readSendingFacility(leafOf(4), enc.escape);
  // MSH-10 exactly as sent (not trimmed), as parseHeader reads it: MSA-2 echoes it and it is the de-dup key.
  const rawControlId = leafOf(10)(1, 1);
  let controlId: string | undefined;
  try {
    controlId = rawControlId.trim() === '' ? undefined : decodeEscapes(rawControlId, enc);
  } catch {
    controlId = undefined;
  }
  const out: PeekedHeader = {
    controlId,
    messageType: get(9, 1),
    triggerEvent: get(9, 2),
    version: get(12),
    processingId: get(11),
    sendingApplication: get(3),
    sendingFacility: facility !== undefined && 'id' in facility ? facility.id : undefined,
    receivingApplication: get(5),
    receivingFacility: get(6),
    characterSet: get(18),
  };
  return out;
}
