import HL7 from 'hl7-standard';
import { z } from 'zod';
import {
  DEFAULT_ENCODING,
  EscapeLimitError,
  decodeEscapes,
  delimiterFor,
  encodeEscapes,
  isDefaultEncoding,
  readEncodingCharacters,
  tokenizeEscapes,
  type EncodingCharacters,
} from './escape';
import { Hl7ErrorCode, malformed } from './errors';

/**
 * The raw message → a list of segments with positional access. Splitting is done by hl7-standard,
 * which only knows the default delimiters (it hard-codes `|` and `^`), so a message with other
 * encoding characters is first transcoded losslessly to `|^~\&`. Values stay escaped until read.
 */

/** MSH-2 once the message has been transcoded to the default delimiters. */
const encodingCharactersDefault = '^~\\&';

/** repetitions → components → subcomponents, each leaf still escaped. */
type RawField = string[][][];

const Leaf = z.union([z.string(), z.array(z.string())]);
const ComponentMap = z.record(z.string(), Leaf);
const FieldShape = z.union([z.string(), z.array(z.string()), z.array(ComponentMap), ComponentMap]);
const Transformed = z.record(z.string(), z.array(z.object({ index: z.number(), data: z.record(z.string(), FieldShape) })));

/** Position after the last dot: `PID.3.2` → 2. */
function suffix(key: string): number {
  return Number(key.slice(key.lastIndexOf('.') + 1));
}

function componentsOf(map: Record<string, string | string[]>): string[][] {
  const out: string[][] = [];
  for (const [key, leaf] of Object.entries(map)) out[suffix(key) - 1] = typeof leaf === 'string' ? [leaf] : leaf;
  return Array.from(out, (c) => c ?? ['']);
}

function toRawField(shape: z.infer<typeof FieldShape>): RawField {
  if (typeof shape === 'string') return [[[shape]]];
  if (!Array.isArray(shape)) return [componentsOf(shape)];
  const reps: RawField = [];
  const subs: string[] = [];
  for (const item of shape) {
    if (typeof item === 'string') subs.push(item);
    else reps.push(componentsOf(item));
  }
  return subs.length > 0 ? [[subs]] : reps;
}

/**
 * Longest decoded value of one field we accept (64 KiB): far above any identifier, name or note.
 * OBX-5 is exempt, as an observation may carry a whole report (an embedded base64 PDF); the MLLP
 * frame cap bounds it. A longer field is an HL7 data type error, never a crash.
 */
export const MAX_FIELD_CHARS = 64 * 1024;

function capFor(segment: string, field: number): number {
  return segment === 'OBX' && field === 5 ? Number.POSITIVE_INFINITY : MAX_FIELD_CHARS;
}

export class Segment {
  constructor(
    readonly name: string,
    /** 1-based ordinal among segments with the same name (ERR-2.2 / ERR-1.2). */
    readonly sequence: number,
    private readonly fields: ReadonlyArray<RawField | undefined>,
  ) {}

  /** The escaped leaf, '' if absent. */
  raw(field: number, component = 1, subcomponent = 1, repetition = 0): string {
    return this.fields[field]?.[repetition]?.[component - 1]?.[subcomponent - 1] ?? '';
  }

  /** The decoded leaf; absent, empty, whitespace-only and the HL7 null `""` all read as undefined. */
  value(field: number, component = 1, subcomponent = 1, repetition = 0): string | undefined {
    const raw = this.raw(field, component, subcomponent, repetition);
    if (raw === '' || raw === '""' || raw.trim() === '') return undefined;
    return this.decode(raw, field);
  }

  /** Decodes one leaf within the escape and field-length bounds; a breach is HL7 error 102 at this field. */
  private decode(raw: string, field: number): string {
    const where = { segment: this.name, field, sequence: this.sequence };
    const cap = capFor(this.name, field);
    const tooLong = () => malformed(Hl7ErrorCode.DataTypeError, where, `${this.name}-${field} is longer than ${cap} characters`);
    if (raw.length > cap) throw tooLong();
    let text: string;
    try {
      text = decodeEscapes(raw, DEFAULT_ENCODING);
    } catch (err) {
      if (err instanceof EscapeLimitError) throw malformed(Hl7ErrorCode.DataTypeError, where, `${this.name}-${field}: ${err.message}`);
      throw err;
    }
    if (text.length > cap) throw tooLong();
    return text;
  }

  /** Indexes of the repetitions of a field that hold anything. */
  repetitions(field: number): number[] {
    const reps = this.fields[field] ?? [];
    const out: number[] = [];
    reps.forEach((rep, i) => {
      if (rep.some((c) => c.some((s) => s !== '' && s !== '""'))) out.push(i);
    });
    return out;
  }

  isEmpty(field: number): boolean {
    return this.repetitions(field).length === 0;
  }

  /** The decoded components of one repetition (subcomponents rejoined with `&`). */
  components(field: number, repetition = 0): string[] {
    const rep = this.fields[field]?.[repetition] ?? [];
    return rep.map((c) => c.map((s) => this.decode(s, field)).join(DEFAULT_ENCODING.subcomponent));
  }

  /** A whole repetition as text; stray delimiters inside free text are kept, not lost. */
  text(field: number, repetition = 0): string {
    const comps = this.components(field, repetition);
    while (comps.length > 0 && comps[comps.length - 1] === '') comps.pop();
    return comps.join(DEFAULT_ENCODING.component);
  }
}

export interface Hl7Message {
  /** The encoding characters the sender used (values are already normalised to the defaults). */
  encoding: EncodingCharacters;
  segments: Segment[];
}

export function first(msg: Hl7Message, name: string): Segment | undefined {
  return msg.segments.find((s) => s.name === name);
}

function transcodeLeaf(raw: string, from: EncodingCharacters): string {
  return tokenizeEscapes(raw, from)
    .map((t) => {
      if ('literal' in t) return encodeEscapes(t.literal, DEFAULT_ENCODING);
      const delimiter = delimiterFor(t.escape, from);
      if (delimiter !== undefined) return encodeEscapes(delimiter, DEFAULT_ENCODING);
      if (/[|^~\\&]/.test(t.escape)) return encodeEscapes(from.escape + t.escape + from.escape, DEFAULT_ENCODING);
      return `\\${t.escape}\\`;
    })
    .join('');
}

function transcodeField(field: string, from: EncodingCharacters): string {
  return field
    .split(from.repetition)
    .map((rep) =>
      rep
        .split(from.component)
        .map((comp) =>
          comp
            .split(from.subcomponent)
            .map((leaf) => transcodeLeaf(leaf, from))
            .join('&'),
        )
        .join('^'),
    )
    .join('~');
}

/** Rewrites one segment from the sender's delimiters to `|^~\&`, re-escaping as needed. */
export function transcodeSegment(line: string, from: EncodingCharacters): string {
  if (line.startsWith('MSH')) {
    const rest = line.slice(4).split(from.field).slice(1);
    return ['MSH', '^~\\&', ...rest.map((f) => transcodeField(f, from))].join('|');
  }
  const [name = '', ...fields] = line.split(from.field);
  return [name, ...fields.map((f) => transcodeField(f, from))].join('|');
}

/** Normalises line endings and drops blank lines and a leading BOM / whitespace. */
export function splitSegments(raw: string): string[] {
  return raw
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimStart())
    .filter((l) => l.length > 0);
}

export function tokenize(raw: string): Hl7Message {
  const lines = splitSegments(raw);
  const head = lines[0];
  if (head === undefined) throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, 'message is empty');
  if (/^(FHS|BHS)/.test(head)) {
    throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, 'batch messages (FHS/BHS) are not supported');
  }
  if (!head.startsWith('MSH')) {
    throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, 'message does not start with an MSH segment');
  }
  const encoding = readEncodingCharacters(head);
  if (typeof encoding === 'string') throw malformed(Hl7ErrorCode.DataTypeError, { segment: 'MSH', field: 2 }, encoding);
  const normal = isDefaultEncoding(encoding) ? lines : lines.map((l) => transcodeSegment(l, encoding));
  normal.forEach((line, i) => {
    if (!/^[A-Z][A-Z0-9]{2}(\||$)/.test(line)) {
      throw malformed(
        Hl7ErrorCode.SegmentSequenceError,
        { segment: 'MSH' },
        `segment ${i + 1} does not start with a valid segment name (truncated or garbled message?)`,
      );
    }
  });

  const lib = new HL7(normal.join('\r') + '\r', { lineEndings: '\r' });
  try {
    lib.transform();
  } catch (err) {
    const why = err instanceof Error ? err.message : 'unknown error';
    throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, `message could not be split: ${why}`);
  }
  const parsed = Transformed.safeParse(lib.transformed);
  if (!parsed.success) {
    throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'MSH' }, 'message has an unexpected structure');
  }

  const flat: { index: number; name: string; fields: (RawField | undefined)[] }[] = [];
  for (const [name, list] of Object.entries(parsed.data)) {
    for (const seg of list) {
      const fields: (RawField | undefined)[] = [];
      for (const [key, shape] of Object.entries(seg.data)) fields[suffix(key)] = toRawField(shape);
      if (name === 'MSH') {
        fields[1] = [[['|']]];
        fields[2] = [[[encodingCharactersDefault]]];
      }
      flat.push({ index: seg.index, name, fields });
    }
  }
  flat.sort((a, b) => a.index - b.index);
  const seen = new Map<string, number>();
  const segments = flat.map((s) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return new Segment(s.name, n, s.fields);
  });
  return { encoding, segments };
}
