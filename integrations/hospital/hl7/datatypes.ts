import { z } from 'zod';
import { DomainError } from '../../../domain/errors';
import { isKnownCurrency, parseMajor, type Money } from '../../../domain/money';
import { Hl7ErrorCode, describe, malformed, type Where } from './errors';
import type { Segment } from './message';

/** Readers for the HL7 data types we extract (TS/DTM, NM, CE/CWE, CX, XCN, PL, CP/MO). */

export const Coded = z.object({
  code: z.string().optional(),
  text: z.string().optional(),
  system: z.string().optional(),
});
export type Coded = z.infer<typeof Coded>;

export const Practitioner = z.object({ id: z.string().optional(), name: z.string().optional() });
export type Practitioner = z.infer<typeof Practitioner>;

export const Location = z.object({
  /** PL.1 point of care (the department / clinic code). */
  code: z.string().optional(),
  room: z.string().optional(),
  facility: z.string().optional(),
  description: z.string().optional(),
});
export type Location = z.infer<typeof Location>;

export const Identifier = z.object({
  id: z.string().min(1),
  assigningAuthority: z.string().optional(),
  typeCode: z.string().optional(),
});
export type Identifier = z.infer<typeof Identifier>;

export function at(seg: Segment, field: number, component?: number): Where {
  const where: Where = { segment: seg.name, field, sequence: seg.sequence };
  if (component !== undefined) where.component = component;
  return where;
}

/**
 * TS / DTM: `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]` → ISO-8601 UTC. A value without an offset is
 * in the sender's local time, which the caller supplies (the hospital's zone, e.g. +480 for China).
 */
const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

/** YYYYMMDDHHMMSS.SSSS+ZZZZ is 24 characters; anything longer is not a timestamp. */
const MAX_TS_CHARS = 32;

/**
 * Where a timestamp without an offset was written: a fixed offset (minutes east of UTC) or the
 * sending hospital's IANA zone, whose offset (daylight saving included) is taken at that wall time.
 */
export type LocalZone = number | { timeZone: string };

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of a zone at an instant. */
function zoneOffsetAt(timeZone: string, instantMs: number): number {
  let fmt = zoneFormats.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, fmt);
  }
  const part = (type: string) => Number(fmt.formatToParts(instantMs).find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return Math.round((wall - Math.floor(instantMs / 1000) * 1000) / 60_000);
}

/** The offset that applies to a wall-clock time (given as if it were UTC) in a zone. */
export function offsetForWallTime(local: LocalZone, wallMs: number): number {
  if (typeof local === 'number') return local;
  const first = zoneOffsetAt(local.timeZone, wallMs);
  return zoneOffsetAt(local.timeZone, wallMs - first * 60_000);
}

export function parseTimestamp(text: string, localZone: LocalZone): string | undefined {
  if (text.length > MAX_TS_CHARS) return undefined;
  const m = TS.exec(text);
  if (!m) return undefined;
  const [, y = '', mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', off] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(local);
  // Date.UTC rolls 2024-02-30 over into March; reject instead of silently moving a slot.
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  let offset: number;
  if (off === undefined) offset = offsetForWallTime(localZone, local);
  else {
    const hours = Number(off.slice(1, 3));
    const minutes = Number(off.slice(3, 5));
    if (hours > 14 || minutes > 59) return undefined;
    offset = (off.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return new Date(local - offset * 60_000).toISOString();
}

/** Reads a TS field (its first component; in v2.5 that is the DTM). Throws 102 when unreadable. */
export function timestampAt(seg: Segment, field: number, localZone: LocalZone, component = 1): string | undefined {
  const text = seg.value(field, component);
  if (text === undefined) return undefined;
  const iso = parseTimestamp(text, localZone);
  if (iso === undefined) {
    throw malformed(Hl7ErrorCode.DataTypeError, at(seg, field), `${describe(at(seg, field))} is not a valid HL7 timestamp`);
  }
  return iso;
}

/** ISO instant → `YYYYMMDDHHMMSS+ZZZZ` in the given offset. */
export function formatTimestamp(iso: string | Date, offsetMinutes: number): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  if (Number.isNaN(t)) throw new RangeError(`not a timestamp: ${String(iso)}`);
  const d = new Date(t + offsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const abs = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}${p(abs % 60)}`;
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${zone}`;
}

/**
 * HL7 NM: optional sign, digits, optional decimal point. No exponents, no thousands separators.
 * Every repetition is separated by a mandatory character, so the match is linear in the input
 * (the old `\d+\.?\d*` backtracked quadratically on a long run of digits that then failed).
 */
export const NM_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
/** HL7 gives NM 16 characters; we allow some slack for senders that pad decimals. */
export const MAX_NM_CHARS = 64;

export function isNumeric(text: string): boolean {
  return text.length <= MAX_NM_CHARS && NM_PATTERN.test(text);
}

export function numberAt(seg: Segment, field: number, component = 1): number | undefined {
  const text = seg.value(field, component);
  if (text === undefined) return undefined;
  if (!isNumeric(text.trim())) {
    throw malformed(Hl7ErrorCode.DataTypeError, at(seg, field, component), `${describe(at(seg, field))} is not a valid NM value`);
  }
  return Number(text.trim());
}

/** CE / CWE / CNE: code ^ text ^ coding system (the first triplet). */
export function codedAt(seg: Segment, field: number, repetition = 0): Coded | undefined {
  const coded: Coded = {};
  const code = seg.value(field, 1, 1, repetition);
  const text = seg.value(field, 2, 1, repetition);
  const system = seg.value(field, 3, 1, repetition);
  if (code !== undefined) coded.code = code;
  if (text !== undefined) coded.text = text;
  if (system !== undefined) coded.system = system;
  return code === undefined && text === undefined ? undefined : coded;
}

/** XCN: id ^ family name ^ given name. Chinese HIS usually send the whole name in the family part. */
export function practitionerAt(seg: Segment, field: number): Practitioner | undefined {
  const id = seg.value(field, 1);
  const name = [seg.value(field, 2), seg.value(field, 3)].filter((s) => s !== undefined).join(' ');
  if (id === undefined && name === '') return undefined;
  const p: Practitioner = {};
  if (id !== undefined) p.id = id;
  if (name !== '') p.name = name;
  return p;
}

/** PL: point of care ^ room ^ bed ^ facility … ^ description (PL.9). */
export function locationAt(seg: Segment, field: number): Location | undefined {
  const loc: Location = {};
  const code = seg.value(field, 1);
  const room = seg.value(field, 2);
  const facility = seg.value(field, 4);
  const description = seg.value(field, 9);
  if (code !== undefined) loc.code = code;
  if (room !== undefined) loc.room = room;
  if (facility !== undefined) loc.facility = facility;
  if (description !== undefined) loc.description = description;
  return Object.keys(loc).length === 0 ? undefined : loc;
}

/** CX: id ^ check digit ^ scheme ^ assigning authority (HD) ^ identifier type code. */
export function identifierAt(seg: Segment, field: number, repetition = 0): Identifier | undefined {
  const id = seg.value(field, 1, 1, repetition);
  if (id === undefined) return undefined;
  const out: Identifier = { id };
  const authority = seg.value(field, 4, 1, repetition);
  const typeCode = seg.value(field, 5, 1, repetition);
  if (authority !== undefined) out.assigningAuthority = authority;
  if (typeCode !== undefined) out.typeCode = typeCode;
  return out;
}

/**
 * CP (FT1-11/12): price is an MO, `quantity & denomination`, in component 1. A missing currency
 * means the hospital's own (the caller's default). Amounts are converted with string arithmetic.
 */
export function moneyAt(seg: Segment, field: number, defaultCurrency: string): Money | undefined {
  const text = seg.value(field, 1, 1);
  if (text === undefined) return undefined;
  const where = at(seg, field);
  const currency = seg.value(field, 1, 2) ?? defaultCurrency;
  if (!isKnownCurrency(currency)) {
    throw malformed(Hl7ErrorCode.TableValueNotFound, where, `${describe(where)} has an unsupported currency code`);
  }
  return { amountMinor: parseHl7Amount(text, currency, where), currency };
}

/** "12.50" → 1250 for CNY. Accepts the NM spellings "+12", ".5" and "12." that parseMajor does not. */
export function parseHl7Amount(text: string, currency: string, where: Where = { segment: 'FT1' }): number {
  const trimmed = text.trim();
  if (!isNumeric(trimmed)) {
    throw malformed(Hl7ErrorCode.DataTypeError, where, `${describe(where)} is not a decimal amount`);
  }
  const normal = trimmed
    .replace(/^\+/, '')
    .replace(/^(-?)\./, '$10.')
    .replace(/\.$/, '');
  // Trailing zeros beyond the currency's exponent carry no value ("12.500" CNY is 1250 fen).
  const dot = normal.indexOf('.');
  const tidy = dot === -1 ? normal : stripTrailing(stripTrailing(normal, '0'), '.');
  try {
    return parseMajor(tidy, currency, { allowNegative: true });
  } catch (err) {
    const why = err instanceof DomainError ? err.message : 'invalid amount';
    throw malformed(Hl7ErrorCode.DataTypeError, where, `${describe(where)}: ${why}`);
  }
}

/** Drops trailing copies of one character without a regex (`/0+$/` is quadratic on "000…1"). */
function stripTrailing(text: string, char: string): string {
  let end = text.length;
  while (end > 0 && text.charAt(end - 1) === char) end--;
  return text.slice(0, end);
}
