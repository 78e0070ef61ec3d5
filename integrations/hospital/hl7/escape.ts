/**
 * HL7 v2 escape sequences (v2.5.1 ch. 2.7). hl7-standard splits on delimiters but leaves escapes
 * alone, so every leaf value passes through here. The delimiters are per message (MSH-1/MSH-2),
 * which is why each function takes the message's encoding characters rather than assuming `|^~\&`.
 */

export interface EncodingCharacters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

export const DEFAULT_ENCODING: EncodingCharacters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

export function isDefaultEncoding(enc: EncodingCharacters): boolean {
  return enc.field === '|' && enc.component === '^' && enc.repetition === '~' && enc.escape === '\\' && enc.subcomponent === '&';
}

/**
 * Reads MSH-1 and MSH-2 from the start of a segment that begins with `MSH`. Returns a reason
 * string instead of throwing so callers can attach their own error context.
 */
export function readEncodingCharacters(msh: string): EncodingCharacters | string {
  if (!msh.startsWith('MSH')) return 'message does not start with an MSH segment';
  const field = msh.charAt(3);
  if (field === '') return 'MSH-1 (field separator) is missing';
  const end = msh.indexOf(field, 4);
  const chars = end === -1 ? msh.slice(4) : msh.slice(4, end);
  if (chars.length !== 4) return `MSH-2 must hold exactly 4 encoding characters, found ${chars.length}`;
  const all = [field, ...chars];
  if (all.some((c) => /[A-Za-z0-9\s]/.test(c))) return 'MSH-1/MSH-2 encoding characters must not be letters, digits or whitespace';
  if (new Set(all).size !== all.length) return 'MSH-1/MSH-2 encoding characters must all be different';
  const [component = '', repetition = '', escape = '', subcomponent = ''] = chars;
  return { field, component, repetition, escape, subcomponent };
}

export type EscapeToken = { literal: string } | { escape: string };

/**
 * Splits a raw value into literal runs and escape sequences (the text between two escape
 * characters). A lone escape character with no closing partner is kept as a literal: senders
 * that forget to escape a backslash are common, and dropping their data would be worse.
 */
export function tokenizeEscapes(raw: string, enc: EncodingCharacters): EscapeToken[] {
  const tokens: EscapeToken[] = [];
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf(enc.escape, i);
    if (start === -1) {
      tokens.push({ literal: raw.slice(i) });
      break;
    }
    const close = raw.indexOf(enc.escape, start + 1);
    if (close === -1) {
      tokens.push({ literal: raw.slice(i) });
      break;
    }
    if (start > i) tokens.push({ literal: raw.slice(i, start) });
    tokens.push({ escape: raw.slice(start + 1, close) });
    i = close + 1;
  }
  return tokens;
}

/** The literal character a delimiter escape (`F S T R E`) stands for, else undefined. */
export function delimiterFor(seq: string, enc: EncodingCharacters): string | undefined {
  switch (seq) {
    case 'F':
      return enc.field;
    case 'S':
      return enc.component;
    case 'T':
      return enc.subcomponent;
    case 'R':
      return enc.repetition;
    case 'E':
      return enc.escape;
    default:
      return undefined;
  }
}

/** `\X0A0D\` → bytes. UTF-8 if the bytes form valid UTF-8, else Latin-1 (the HL7 default set). */
function decodeHex(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Bounds on what escapes may add. `\.sp N\` asks for N line breaks; a sender formatting a report
 * needs a handful, an attacker asks for a billion. Beyond the cap the field is an HL7 data type
 * error (the message is stored failed and answered AE), never an allocation.
 */
export const MAX_SP_COUNT = 99;
/** Decoded text may exceed its raw form by at most this many characters (line breaks from `.sp`). */
export const MAX_ESCAPE_GROWTH = 4096;

export class EscapeLimitError extends Error {
  override readonly name = 'EscapeLimitError';
}

function decodeSequence(seq: string, enc: EncodingCharacters, raw: string): string {
  const delimiter = delimiterFor(seq, enc);
  if (delimiter !== undefined) return delimiter;
  if (seq === '.br') return '\n';
  const spaces = /^\.sp ?(\d{0,9})$/.exec(seq);
  if (spaces) {
    const count = Math.max(1, Number(spaces[1] || '1'));
    if (count > MAX_SP_COUNT) throw new EscapeLimitError(`\\.sp\\ asks for more than ${MAX_SP_COUNT} line breaks`);
    return '\n'.repeat(count);
  }
  // A \.sp\ with an absurd digit string is not a layout command we honour either.
  if (/^\.sp ?\d/.test(seq)) throw new EscapeLimitError(`\\.sp\\ asks for more than ${MAX_SP_COUNT} line breaks`);
  // Highlighting and layout commands carry no text of their own.
  if (seq === 'H' || seq === 'N' || /^\.(fi|nf|in|ti|sk|ce)\b/.test(seq)) return '';
  if (seq.startsWith('X')) return decodeHex(seq.slice(1)) ?? raw;
  // Unknown sequences (\Zxx\ locally defined, \C..\ / \M..\ charset switches) are kept verbatim.
  return raw;
}

/**
 * Raw field content → text, e.g. `A\S\B\.br\C` → `A^B\nC` with default encoding characters.
 * Throws EscapeLimitError when the escapes would grow the text past MAX_ESCAPE_GROWTH.
 */
export function decodeEscapes(raw: string, enc: EncodingCharacters = DEFAULT_ENCODING): string {
  if (!raw.includes(enc.escape)) return raw;
  const budget = raw.length + MAX_ESCAPE_GROWTH;
  let out = '';
  for (const t of tokenizeEscapes(raw, enc)) {
    out += 'literal' in t ? t.literal : decodeSequence(t.escape, enc, enc.escape + t.escape + enc.escape);
    if (out.length > budget) throw new EscapeLimitError(`escape sequences expand the field by more than ${MAX_ESCAPE_GROWTH} characters`);
  }
  return out;
}

/**
 * Text → raw field content. Delimiters become their escapes, line breaks become `\.br\`, and
 * other control characters become `\Xhh\` so they cannot end a segment or an MLLP frame.
 */
export function encodeEscapes(text: string, enc: EncodingCharacters = DEFAULT_ENCODING): string {
  const e = enc.escape;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === enc.escape) out += `${e}E${e}`;
    else if (c === enc.field) out += `${e}F${e}`;
    else if (c === enc.component) out += `${e}S${e}`;
    else if (c === enc.subcomponent) out += `${e}T${e}`;
    else if (c === enc.repetition) out += `${e}R${e}`;
    else if (c === '\r' && text.charAt(i + 1) === '\n') {
      out += `${e}.br${e}`;
      i++;
    } else if (c === '\n' || c === '\r') out += `${e}.br${e}`;
    else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) {
      out += `${e}X${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}${e}`;
    } else out += c;
  }
  return out;
}
