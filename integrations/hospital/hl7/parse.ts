import { requiredMissing, Hl7ErrorCode, malformed } from './errors';
import type { Acknowledgement, Hl7Event, Hl7Header } from './events';
import { parseHeader, resolveParseOptions, type ParseOptions } from './header';
import { tokenize } from './message';
import { parseAckBody } from './parse-ack';
import { parseDft, parseOrders } from './parse-orders';
import { parseResults } from './parse-results';
import { parseAdt, parseSiu } from './parse-scheduling';
import { at } from './datatypes';

/**
 * Raw HL7 v2 (2.3.1–2.5.1) → one validated Hl7Event. Anything that cannot be read throws
 * DomainError(Hl7Malformed) whose details (field, hl7ErrorCode, location) are enough to build the
 * rejecting ACK (see ackForError).
 */

const SIU_TRIGGERS = ['S12', 'S14', 'S15', 'S26'] as const;
// A01 (admit): some hospitals announce an outpatient's arrival with it rather than A04.
const ADT_TRIGGERS = ['A01', 'A04', 'A08'] as const;
const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['SIU', 'ADT', 'ORM', 'OML', 'ORU', 'DFT']);
/** Message type → the one trigger we accept for it. */
const SINGLE_TRIGGER: Readonly<Record<string, string>> = { ORM: 'O01', OML: 'O21', ORU: 'R01', DFT: 'P03' };

function pick<T extends string>(list: readonly T[], value: string): T | undefined {
  return list.find((x) => x === value);
}

export function parseHl7(raw: string, options?: ParseOptions): Hl7Event {
  const opts = resolveParseOptions(options);
  // HL7 carries control characters only as escapes (\X00\); a raw NUL is corruption, and no database stores it.
  if (raw.includes('\u0000')) throw malformed(Hl7ErrorCode.DataTypeError, { segment: 'MSH' }, 'message contains a NUL byte (0x00)');
  const msg = tokenize(raw);
  const msh = msg.segments[0];
  if (msh === undefined || msh.name !== 'MSH') {
    throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, 'message does not start with an MSH segment');
  }
  const ackHeader = parseHeader(msh, opts);
  const type = ackHeader.messageType;
  if (type === 'ACK') return parseAckBody(msg, ackHeader);
  if (!SUPPORTED_TYPES.has(type)) {
    throw malformed(Hl7ErrorCode.UnsupportedMessageType, at(msh, 9, 1), `message type ${type} is not supported`);
  }

  const { sendingFacility } = ackHeader;
  if (sendingFacility === undefined) throw requiredMissing(at(msh, 4), 'sending facility, the hospital id');
  const header: Hl7Header = { ...ackHeader, sendingFacility };
  const trigger = header.triggerEvent;
  if (trigger === undefined) throw requiredMissing(at(msh, 9, 2), 'trigger event');
  const unsupportedEvent = () =>
    malformed(Hl7ErrorCode.UnsupportedEventCode, at(msh, 9, 2), `trigger event ${trigger} is not supported for ${type}`);

  switch (type) {
    case 'SIU': {
      const t = pick(SIU_TRIGGERS, trigger);
      if (t === undefined) throw unsupportedEvent();
      return parseSiu(msg, header, t, opts);
    }
    case 'ADT': {
      const t = pick(ADT_TRIGGERS, trigger);
      if (t === undefined) throw unsupportedEvent();
      return parseAdt(msg, header, t, opts);
    }
    case 'ORM':
    case 'OML':
    case 'ORU':
    case 'DFT': {
      if (SINGLE_TRIGGER[type] !== trigger) throw unsupportedEvent();
      if (type === 'ORU') return parseResults(msg, header, opts);
      if (type === 'DFT') return parseDft(msg, header, opts);
      return parseOrders(msg, header, opts);
    }
    default:
      throw malformed(Hl7ErrorCode.UnsupportedMessageType, at(msh, 9, 1), `message type ${type} is not supported`);
  }
}

/** Parses a message that must be an ACK (what an MLLP peer answers). */
export function parseAck(raw: string, options?: ParseOptions): Acknowledgement {
  const event = parseHl7(raw, options);
  if (event.kind !== 'ack') {
    throw malformed(Hl7ErrorCode.UnsupportedMessageType, { segment: 'MSH', field: 9 }, `expected an ACK, got ${event.header.messageType}`);
  }
  return event;
}
