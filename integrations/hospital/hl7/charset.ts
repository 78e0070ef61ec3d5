import iconv from 'iconv-lite';
import { Hl7ErrorCode, malformed } from './errors';

/**
 * MSH-18 (HL7 table 0211, character set) → the codec that reads and writes a message's bytes.
 * MSH itself is ASCII in every character set we accept, so MSH-18 is read from the raw bytes
 * before anything is decoded. Only byte-oriented sets whose control bytes are ASCII's are listed:
 * MLLP's frame bytes (0x0B, 0x1C) never occur inside their characters.
 */
const CODEC_OF: Readonly<Record<string, string>> = {
  // ASCII is a subset of UTF-8; a sender that declares it and then sends UTF-8 loses nothing.
  ASCII: 'utf8',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  'UNICODE UTF-8': 'utf8',
  'UTF-8': 'utf8',
  'GB 18030-2000': 'gb18030',
  // Not in table 0211, but what Chinese HIS vendors actually write; GB 18030 decodes both faithfully.
  GB18030: 'gb18030',
  GBK: 'gbk',
  GB2312: 'gb18030',
};

export const DEFAULT_CODEC = 'utf8';

/** The codec for an MSH-18 value (first repetition, as sent); undefined when we do not know it. Absent → UTF-8. */
export function codecOf(characterSet: string | undefined): string | undefined {
  const key = characterSet?.trim().toUpperCase() ?? '';
  if (key === '') return DEFAULT_CODEC;
  return CODEC_OF[key];
}

/** Throws the HL7 error (table value not found, naming MSH-18) for a character set we cannot read. */
export function assertKnownCharset(characterSet: string | undefined): void {
  if (codecOf(characterSet) !== undefined) return;
  throw malformed(Hl7ErrorCode.TableValueNotFound, { segment: 'MSH', sequence: 1, field: 18 }, 'MSH-18 character set is not supported');
}

/** Longest first segment whose MSH-18 we read; a real MSH is a few hundred bytes. */
const MAX_HEADER_BYTES = 4096;
const MSH = Buffer.from('MSH');

/**
 * MSH-18's first repetition, read from the bytes of the first segment (leading UTF-8 BOM and
 * whitespace skipped). The field separator is the byte after `MSH`, the repetition separator the
 * second byte of MSH-2. Undefined when there is no MSH or no MSH-18.
 */
export function declaredCharset(bytes: Buffer): string | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (!bytes.subarray(i, i + 3).equals(MSH) || bytes.length < i + 4) return undefined;
  let end = i;
  const limit = Math.min(bytes.length, i + MAX_HEADER_BYTES);
  while (end < limit && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  const line = bytes.subarray(i, end).toString('latin1');
  const fieldSep = line.charAt(3);
  // fields[0] is MSH-2, so MSH-n sits at n - 2.
  const fields = line.slice(4).split(fieldSep);
  const repetition = fields[0]?.charAt(1) || '~';
  const value = fields[16]?.split(repetition)[0]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export interface DecodedFrame {
  text: string;
  /** The codec the bytes were read with, to answer in the same one. */
  codec: string;
}

/**
 * Bytes of a message in a character set we do not know are read one byte to one character
 * (latin1): the stored text then still holds the exact bytes (Buffer.from(text, 'latin1')), and
 * the ACK echoes MSH-10 byte for byte. The parser refuses such a message, naming MSH-18.
 */
export const UNKNOWN_CHARSET_CODEC = 'latin1';

/** A frame's bytes → text, by its MSH-18 (absent: UTF-8). Never throws. */
export function decodeFrame(bytes: Buffer): DecodedFrame {
  const codec = codecOf(declaredCharset(bytes)) ?? UNKNOWN_CHARSET_CODEC;
  return { text: codec === DEFAULT_CODEC ? bytes.toString('utf8') : iconv.decode(bytes, codec), codec };
}

/** Text → bytes in a codec from codecOf (characters the set lacks become `?`). */
export function encodeText(text: string, codec: string): Buffer {
  return codec === DEFAULT_CODEC ? Buffer.from(text, 'utf8') : iconv.encode(text, codec);
}
