import fc from 'fast-check';
import {
  DEFAULT_ENCODING,
  decodeEscapes,
  encodeEscapes,
  readEncodingCharacters,
  type EncodingCharacters,
} from '../../integrations/hospital/hl7/escape';
import { transcodeSegment } from '../../integrations/hospital/hl7/message';

const CUSTOM: EncodingCharacters = { field: '#', component: '!', repetition: '@', escape: '$', subcomponent: '%' };

describe('decodeEscapes', () => {
  it('decodes the delimiter escapes with the default encoding characters', () => {
    expect(decodeEscapes('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f')).toBe('a|b^c&d~e\\f');
  });

  it('turns \\.br\\ and \\.sp\\ into line breaks and drops highlighting', () => {
    expect(decodeEscapes('line 1\\.br\\line 2')).toBe('line 1\nline 2');
    expect(decodeEscapes('a\\.sp2\\b')).toBe('a\n\nb');
    expect(decodeEscapes('\\H\\bold\\N\\ text')).toBe('bold text');
    expect(decodeEscapes('\\.fi\\x\\.in+4\\')).toBe('x');
  });

  it('decodes hex escapes as UTF-8, falling back to Latin-1', () => {
    expect(decodeEscapes('\\X48656C6C6F\\')).toBe('Hello');
    expect(decodeEscapes('\\XE4B8AD\\\\XE69687\\')).toBe('中文');
    expect(decodeEscapes('caf\\XE9\\')).toBe('café');
    expect(decodeEscapes('\\X0D0A\\')).toBe('\r\n');
  });

  it('keeps malformed and unknown sequences verbatim rather than losing data', () => {
    expect(decodeEscapes('\\XZZ\\')).toBe('\\XZZ\\');
    expect(decodeEscapes('\\X123\\')).toBe('\\X123\\');
    expect(decodeEscapes('\\Zlocal\\')).toBe('\\Zlocal\\');
    expect(decodeEscapes('C:\\temp')).toBe('C:\\temp');
    expect(decodeEscapes('plain')).toBe('plain');
  });

  it('uses the message encoding characters when they are not the defaults', () => {
    expect(decodeEscapes('$F$$S$$T$$R$$E$', CUSTOM)).toBe('#!%@$');
    expect(decodeEscapes('x$.br$y', CUSTOM)).toBe('x\ny');
    expect(decodeEscapes('$X41$', CUSTOM)).toBe('A');
    // With $ as the escape character a backslash is plain text.
    expect(decodeEscapes('a\\F\\b', CUSTOM)).toBe('a\\F\\b');
  });
});

describe('encodeEscapes', () => {
  it('escapes every delimiter, line breaks and control characters', () => {
    expect(encodeEscapes('a|b^c&d~e\\f')).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f');
    expect(encodeEscapes('1\r\n2\n3\r4')).toBe('1\\.br\\2\\.br\\3\\.br\\4');
    expect(encodeEscapes('bell\u0007')).toBe('bell\\X07\\');
    expect(encodeEscapes('a#b!c', CUSTOM)).toBe('a$F$b$S$c');
  });

  it('round-trips any text without raw delimiters in the output', () => {
    for (const enc of [DEFAULT_ENCODING, CUSTOM]) {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
          const text = s.replace(/\r\n?/g, '\n');
          const raw = encodeEscapes(text, enc);
          expect(decodeEscapes(raw, enc)).toBe(text);
          for (const d of [enc.field, enc.component, enc.repetition, enc.subcomponent, '\r', '\n']) {
            expect(raw.includes(d)).toBe(false);
          }
        }),
      );
    }
  });
});

describe('readEncodingCharacters', () => {
  it('reads MSH-1 and MSH-2', () => {
    expect(readEncodingCharacters('MSH|^~\\&|HIS')).toEqual(DEFAULT_ENCODING);
    expect(readEncodingCharacters('MSH#!@$%#HIS')).toEqual(CUSTOM);
  });

  it.each([
    ['MSH|^~\\|HIS', /exactly 4/],
    ['MSH|^~\\&#|HIS', /exactly 4/],
    ['MSH|^^\\&|HIS', /different/],
    ['MSH|^~A&|HIS', /letters, digits/],
    ['PID|1', /MSH/],
  ])('rejects %s', (msh, reason) => {
    const result = readEncodingCharacters(msh);
    expect(typeof result).toBe('string');
    expect(result).toMatch(reason);
  });
});

describe('transcodeSegment', () => {
  it('rewrites custom delimiters to the defaults without changing decoded values', () => {
    expect(transcodeSegment('MSH#!@$%#HIS#FAC', CUSTOM)).toBe('MSH|^~\\&|HIS|FAC');
    // A literal | in a message whose field separator is # is data and must be escaped for |^~\&.
    expect(transcodeSegment('NTE#1##a|b!c$F$d%e@f$.br$', CUSTOM)).toBe('NTE|1||a\\F\\b^c#d&e~f\\.br\\');
  });
});
