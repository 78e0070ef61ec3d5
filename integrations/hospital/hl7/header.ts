import { z } from 'zod';
import { DEFAULT_ENCODING, decodeEscapes, readEncodingCharacters } from './escape';
import { at, timestampAt } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { Hl7Version, ProcessingId, type AckHeader } from './events';
import { splitSegments, type Segment } from './message';

export interface ParseOptions {
  /** Offset (minutes east of UTC) of timestamps sent without one; the hospital's zone. Default +480 (China). */
  localOffsetMinutes?: number;
  /** Currency of amounts sent without a denomination. Default CNY. */
  defaultCurrency?: string;
  /** Assigning authority that marks our booking ref in PV1-50. Default CAUSEWAY. */
  bookingRefAuthority?: string;
}

export interface ResolvedParseOptions {
  localOffsetMinutes: number;
  defaultCurrency: string;
  bookingRefAuthority: string;
}

export function resolveParseOptions(opts: ParseOptions = {}): ResolvedParseOptions {
  return {
    localOffsetMinutes: opts.localOffsetMinutes ?? 480,
    defaultCurrency: opts.defaultCurrency ?? 'CNY',
    bookingRefAuthority: opts.bookingRefAuthority ?? 'CAUSEWAY',
  };
}

/** HD: namespace id, else universal id. */
function hd(msh: Segment, field: number): string | undefined {
  return msh.value(field, 1) ?? msh.value(field, 2);
}

/** MSH → header. MSH-4 is left optional here; parse.ts requires it for everything but ACKs. */
export function parseHeader(msh: Segment, opts: ResolvedParseOptions): AckHeader {
  const messageType = msh.value(9, 1);
  if (messageType === undefined) throw requiredMissing(at(msh, 9, 1), 'message type');
  const controlId = msh.value(10);
  if (controlId === undefined) throw requiredMissing(at(msh, 10), 'message control id');
  const sentAt = timestampAt(msh, 7, opts.localOffsetMinutes);
  if (sentAt === undefined) throw requiredMissing(at(msh, 7), 'date/time of message');
  const versionText = msh.value(12, 1);
  if (versionText === undefined) throw requiredMissing(at(msh, 12), 'version id');
  const version = Hl7Version.safeParse(versionText);
  if (!version.success) {
    throw malformed(Hl7ErrorCode.UnsupportedVersionId, at(msh, 12), `MSH-12 version ${versionText} is not supported (2.3.1–2.5.1)`);
  }
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
    sendingFacility: hd(msh, 4),
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
});
export type PeekedHeader = z.infer<typeof PeekedHeader>;

/**
 * Best-effort MSH read that never throws, for rejecting ACKs: even a message we cannot parse
 * should get an ACK that echoes its MSH-10 and addresses its sender.
 */
export function peekHeader(raw: string): PeekedHeader {
  if (typeof raw !== 'string') return {};
  const line = splitSegments(raw).find((l) => l.startsWith('MSH'));
  if (line === undefined || line.length < 4) return {};
  const read = readEncodingCharacters(line);
  const enc = typeof read === 'string' ? { ...DEFAULT_ENCODING, field: line.charAt(3) } : read;
  // fields[0] is MSH-2, so MSH-n sits at n - 2.
  const fields = line.slice(4).split(enc.field);
  const get = (n: number, component = 1): string | undefined => {
    const value = fields[n - 2]?.split(enc.repetition)[0]?.split(enc.component)[component - 1]?.split(enc.subcomponent)[0];
    return value === undefined || value === '' ? undefined : decodeEscapes(value, enc).trim() || undefined;
  };
  const out: PeekedHeader = {
    controlId: get(10),
    messageType: get(9, 1),
    triggerEvent: get(9, 2),
    version: get(12),
    processingId: get(11),
    sendingApplication: get(3),
    sendingFacility: get(4),
    receivingApplication: get(5),
    receivingFacility: get(6),
  };
  return out;
}
