import { formatMinor, type Money } from '../../../domain/money';
import { DEFAULT_ENCODING, encodeEscapes } from './escape';
import { formatTimestamp, type Coded, type Identifier, type Location, type Practitioner } from './datatypes';
import type { Hl7Version, ProcessingId } from './events';
import { newControlId } from './control-id';

/**
 * Writing segments. Builders describe fields as plain values and nested arrays; every leaf is
 * escaped here, so no caller can break a message with a `|` in a doctor's name. Output always
 * uses the default encoding characters and ends every segment with \r.
 */

export type Leaf = string | undefined;
/** A component: one value, or its subcomponents. */
export type Component = Leaf | readonly Leaf[];
/** A repetition: one value, or its components. */
export type Repetition = Leaf | readonly Component[];
export type Field = Repetition | { repeat: readonly Repetition[] };

function trimEnd(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

const esc = (v: Leaf) => (v === undefined ? '' : encodeEscapes(v, DEFAULT_ENCODING));

function encodeComponent(c: Component): string {
  if (c === undefined || typeof c === 'string') return esc(c);
  return trimEnd(c.map(esc)).join(DEFAULT_ENCODING.subcomponent);
}

function encodeRepetition(r: Repetition): string {
  if (r === undefined || typeof r === 'string') return esc(r);
  return trimEnd(r.map(encodeComponent)).join(DEFAULT_ENCODING.component);
}

/** `n` empty fields, to reach a field further along a segment. */
export function skip(n: number): Field[] {
  return Array.from({ length: n }, (): Field => undefined);
}

export function encodeField(f: Field): string {
  if (f !== undefined && typeof f === 'object' && 'repeat' in f) {
    return trimEnd(f.repeat.map(encodeRepetition)).join(DEFAULT_ENCODING.repetition);
  }
  return encodeRepetition(f);
}

/** `segment('PID', [ '1', undefined, ['123', '', '', 'HIS'] ])` → `PID|1||123^^^HIS`. */
export function segment(name: string, fields: readonly Field[]): string {
  return trimEnd([name, ...fields.map(encodeField)]).join(DEFAULT_ENCODING.field);
}

export interface HeaderInput {
  sendingApplication?: string;
  sendingFacility: string;
  receivingApplication?: string;
  receivingFacility?: string;
  /** Default: a fresh newControlId(). */
  controlId?: string;
  /** Default: now. */
  sentAt?: string | Date;
  /** Default 2.5.1. */
  version?: Hl7Version;
  /** Default P. */
  processingId?: ProcessingId;
  /** Offset written into timestamps, minutes east of UTC. Default +480 (China). */
  localOffsetMinutes?: number;
  /** MSH-18, written only when given: the character set the message's bytes will be sent in. */
  characterSet?: string;
}

export interface MessageMeta {
  version: Hl7Version;
  offset: number;
  controlId: string;
}

export function messageMeta(h: HeaderInput): MessageMeta {
  return { version: h.version ?? '2.5.1', offset: h.localOffsetMinutes ?? 480, controlId: h.controlId ?? newControlId() };
}

export function isV25(version: string): boolean {
  return version === '2.5' || version === '2.5.1';
}

export function msh(h: HeaderInput, type: string, trigger: string | undefined, structure: string, meta: MessageMeta): string {
  const fields: Field[] = [
    h.sendingApplication,
    h.sendingFacility,
    h.receivingApplication,
    h.receivingFacility,
    formatTimestamp(h.sentAt ?? new Date(), meta.offset),
    undefined,
    [type, trigger, structure],
    meta.controlId,
    h.processingId ?? 'P',
    meta.version,
    ...(h.characterSet !== undefined ? [undefined, undefined, undefined, undefined, undefined, h.characterSet] : []),
  ];
  // MSH-1 and MSH-2 are the delimiters themselves and must not be escaped.
  return `MSH|^~\\&|${fields.map(encodeField).join('|')}`;
}

/** Segments → message, each segment terminated by \r as the standard requires. */
export function message(segments: readonly string[]): string {
  return segments.map((s) => `${s}\r`).join('');
}

export const ts = (iso: string | undefined, meta: MessageMeta): Leaf => (iso === undefined ? undefined : formatTimestamp(iso, meta.offset));

export const coded = (c: Coded | undefined, fallbackSystem?: string): Repetition =>
  c === undefined ? undefined : [c.code, c.text, c.system ?? (c.code !== undefined ? fallbackSystem : undefined)];

export const xcn = (p: Practitioner | undefined): Repetition => (p === undefined ? undefined : [p.id, p.name]);

export function pl(l: Location | undefined): Repetition {
  if (l === undefined) return undefined;
  return [l.code, l.room, undefined, l.facility, undefined, undefined, undefined, undefined, l.description];
}

export const cx = (i: Identifier): Repetition => [i.id, undefined, undefined, i.assigningAuthority, i.typeCode];

/** CP with its MO price: `12.50&CNY`. */
export const cp = (m: Money | undefined): Repetition =>
  m === undefined ? undefined : [[formatMinor(m.amountMinor, m.currency), m.currency]];
