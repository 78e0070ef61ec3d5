import fc from 'fast-check';
import { parseUscc, USCC_ALPHABET, usccCheckCharacter } from '../../domain/retail/uscc';

// Codes whose check characters were worked out by hand with the weights (3^i mod 31).
const VALID = ['91350100M000100Y43', '91110000600037341L', '91310000MA1FL4B24G', '9144030071526726XG'];

describe('parseUscc', () => {
  it.each(VALID)('accepts %s and splits it into its parts', (code) => {
    const r = parseUscc(code);
    expect(r).toMatchObject({ ok: true, code, divisionCode: code.slice(2, 8), organizationCode: code.slice(8, 17) });
  });

  it('forgives spaces and lower case', () => {
    expect(parseUscc(' 91350100m000100y43 ')).toMatchObject({ ok: true, code: '91350100M000100Y43' });
  });

  it('names what is wrong', () => {
    expect(parseUscc('91350100M000100Y4')).toMatchObject({ ok: false, problem: 'length' });
    expect(parseUscc('91350100M000100I43')).toMatchObject({ ok: false, problem: 'character', message: expect.stringContaining('16') });
    expect(parseUscc('913501A0M000100Y43')).toMatchObject({ ok: false, problem: 'division' });
    expect(parseUscc('91350100M000100Y44')).toMatchObject({
      ok: false,
      problem: 'check_character',
      message: 'check character should be 3',
    });
  });

  it('refuses any single-character change of a valid code', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.nat({ max: 16 }), fc.constantFrom(...USCC_ALPHABET), (code, at, c) => {
        fc.pre(code[at] !== c && !(at >= 2 && at < 8 && !/\d/.test(c)));
        const changed = code.slice(0, at) + c + code.slice(at + 1);
        expect(parseUscc(changed).ok).toBe(false);
      }),
    );
  });

  it('accepts any 17 characters completed with their check character', () => {
    const body = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...USCC_ALPHABET), minLength: 2, maxLength: 2 }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 6, maxLength: 6 }),
        fc.string({ unit: fc.constantFrom(...USCC_ALPHABET), minLength: 9, maxLength: 9 }),
      )
      .map((parts) => parts.join(''));
    fc.assert(fc.property(body, (b) => expect(parseUscc(b + usccCheckCharacter(b)).ok).toBe(true)));
  });
});
