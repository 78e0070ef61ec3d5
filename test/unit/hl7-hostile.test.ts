import { DomainError, ErrorCode } from '../../domain/errors';
import { parseHl7, parseHl7Amount, peekHeader } from '../../integrations/hospital/hl7';
import { NM_PATTERN, isNumeric } from '../../integrations/hospital/hl7/datatypes';
import { EscapeLimitError, MAX_ESCAPE_GROWTH, MAX_SP_COUNT, decodeEscapes } from '../../integrations/hospital/hl7/escape';
import { MAX_HEADER_CHARS } from '../../integrations/hospital/hl7/header';
import { MAX_FIELD_CHARS } from '../../integrations/hospital/hl7/message';
import { parseInbound } from '../../integrations/hospital/inbound/apply';
import { fixture, withField } from '../fixtures/hl7';

/** Input a hostile peer sends: escape bombs, oversized fields, spoofed MSH-4, backtracking bait. */

const hl7Code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError && err.code === ErrorCode.Hl7Malformed) {
      const details: unknown = err.details;
      return typeof details === 'object' && details !== null && 'hl7ErrorCode' in details ? String(details.hl7ErrorCode) : 'no-code';
    }
    throw err;
  }
  return undefined;
};

describe('escape expansion is bounded', () => {
  it('refuses \\.sp N\\ above the cap instead of allocating N line breaks', () => {
    expect(decodeEscapes(`a\\.sp${MAX_SP_COUNT}\\b`)).toBe(`a${'\n'.repeat(MAX_SP_COUNT)}b`);
    expect(() => decodeEscapes('\\.sp999999999\\')).toThrow(EscapeLimitError);
    expect(() => decodeEscapes('\\.sp 2000000000\\')).toThrow(EscapeLimitError);
    expect(() => decodeEscapes(`\\.sp${'9'.repeat(400)}\\`)).toThrow(EscapeLimitError);
  });

  it('caps the total growth of many small expansions', () => {
    const bomb = '\\.sp99\\'.repeat(Math.ceil(MAX_ESCAPE_GROWTH / 90) + 1);
    expect(() => decodeEscapes(bomb)).toThrow(EscapeLimitError);
  });

  it('an escape bomb in a message is an HL7 data type error (AE, stored failed), never an allocation', () => {
    const msg = withField(fixture('adt_a08_v251.hl7'), 'PID', 3, '\\.sp999999999\\');
    expect(hl7Code(() => parseInbound(msg))).toBe('102');
  });

  it('peekHeader never throws on an escape bomb in the header', () => {
    const msg = withField(fixture('adt_a08_v251.hl7'), 'MSH', 10, '\\.sp999999999\\');
    expect(() => peekHeader(msg)).not.toThrow();
    expect(peekHeader(msg).controlId).toBeUndefined();
    expect(peekHeader(msg).messageType).toBe('ADT');
  });
});

describe('decoded fields are capped', () => {
  it('a field longer than MAX_FIELD_CHARS is error 102 at that field', () => {
    const msg = withField(fixture('adt_a08_v251.hl7'), 'PID', 3, 'A'.repeat(MAX_FIELD_CHARS + 1));
    expect(hl7Code(() => parseInbound(msg))).toBe('102');
  });

  it('OBX-5 may carry a large report (an embedded PDF), bounded by the frame size instead', () => {
    const oru = fixture('oru_r01_v251.hl7');
    const big = oru.replace(/^(OBX\|[^|]*\|)[^|]*\|([^|]*\|[^|]*\|)[^|\r]*/m, `$1ED|$2^AP^PDF^Base64^${'QUJD'.repeat(40_000)}`);
    expect(big.length).toBeGreaterThan(MAX_FIELD_CHARS * 2);
    expect(() => parseHl7(big)).not.toThrow();
  });

  it('peekHeader reads only a first segment of bounded length', () => {
    expect(peekHeader(`MSH|^~\\&|${'A'.repeat(MAX_HEADER_CHARS)}|H1\r`)).toEqual({});
    // A second segment that looks like an MSH is never read as the header.
    expect(peekHeader('PID|1\rMSH|^~\\&|APP|HOSP_B')).toEqual({});
  });
});

describe('numeric fields are read in linear time', () => {
  // Quadratic backtracking on 100k characters takes minutes; linear takes microseconds.
  const digits = '1'.repeat(100_000);

  it('the NM pattern rejects a long digit run with a trailing non-digit', () => {
    expect(NM_PATTERN.test(`${digits}x`)).toBe(false);
    expect(NM_PATTERN.test(`${digits}.${digits}x`)).toBe(false);
    expect(NM_PATTERN.test(`${digits}.${digits}`)).toBe(true);
  });

  it('isNumeric and amounts refuse an over-long NM without scanning it', () => {
    expect(isNumeric(`${digits}x`)).toBe(false);
    expect(isNumeric('-12.50')).toBe(true);
    expect(() => parseHl7Amount(`1.${'0'.repeat(100_000)}1`, 'CNY')).toThrow(DomainError);
    expect(parseHl7Amount(`12.5${'0'.repeat(40)}`, 'CNY')).toBe(1250);
  });

  it('a 100 kB adversarial OBX-5 NM is a data type error', () => {
    const oru = fixture('oru_r01_v251.hl7');
    const msg = oru.replace(/^(OBX\|[^|]*\|)[^|]*\|([^|]*\|[^|]*\|)[^|\r]*/m, `$1NM|$2${digits}x`);
    expect(hl7Code(() => parseHl7(msg))).toBe('102');
  });
});

describe('MSH-4 is read once, the same way by the sender check and the parser', () => {
  const base = fixture('adt_a08_v251.hl7');
  const facilityOf = (msh4: string) => {
    const msg = withField(base, 'MSH', 4, msh4);
    const peeked = peekHeader(msg).sendingFacility;
    let parsed: string | undefined;
    let error: string | undefined;
    try {
      parsed = parseHl7(msg).header.sendingFacility;
    } catch (err) {
      error = err instanceof DomainError ? err.message : String(err);
    }
    return { peeked, parsed, error };
  };

  it('a plain id and the universal id fallback agree', () => {
    expect(facilityOf('HOSP_A')).toEqual({ peeked: 'HOSP_A', parsed: 'HOSP_A', error: undefined });
    // The original defect: peek saw nothing (and the check passed for A), parse filed it under B.
    expect(facilityOf('^HOSP_B')).toEqual({ peeked: 'HOSP_B', parsed: 'HOSP_B', error: undefined });
    expect(facilityOf('HOSP_A^HOSP_B^DNS')).toEqual({ peeked: 'HOSP_A', parsed: 'HOSP_A', error: undefined });
  });

  it.each([
    ['sub-components', 'HOSP_A&HOSP_B'],
    ['empty namespace with sub-components', '&HOSP_B'],
    ['universal id with sub-components', '^HOSP_B&x'],
    ['subcomponent escape', 'HOSP\\T\\B'],
    ['component escape', 'HOSP_A\\S\\HOSP_B'],
    ['hex escape', '\\X484F53505F42\\'],
    ['leading whitespace', ' HOSP_B'],
    ['trailing whitespace', 'HOSP_B '],
    ['inner whitespace', 'HOSP B'],
    ['HL7 null', '""'],
  ])('%s (%s) names no institution in either reader', (_name, msh4) => {
    const { peeked, parsed, error } = facilityOf(msh4);
    expect(peeked).toBeUndefined();
    expect(parsed).toBeUndefined();
    expect(error).toMatch(/MSH-4/);
  });

  it('case variants are different ids, passed through exactly (the institutions lookup is exact)', () => {
    expect(facilityOf('hosp_b')).toEqual({ peeked: 'hosp_b', parsed: 'hosp_b', error: undefined });
  });

  it('with other delimiters the two readers still agree', () => {
    const custom = fixture('siu_s12_custom_delims.hl7');
    expect(peekHeader(custom).sendingFacility).toBe(parseHl7(custom).header.sendingFacility);
    const spoof = custom.replace('#BJPUMC#', '#!HOSP_B#');
    expect(peekHeader(spoof).sendingFacility).toBe('HOSP_B');
    expect(parseHl7(spoof).header.sendingFacility).toBe('HOSP_B');
  });
});
