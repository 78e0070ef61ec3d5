import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { CurrencyCode, currencyExponent, formatMinor, parseMajor, assertSafeMinor } from '../../domain/money';

function expectValidation(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(DomainError);
  expect(thrown).toMatchObject({ code: ErrorCode.ValidationFailed });
}

describe('currencyExponent', () => {
  it.each([
    ['CNY', 2],
    ['USD', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['BHD', 3],
  ])('%s has %i decimals', (code, exp) => {
    expect(currencyExponent(code)).toBe(exp);
  });

  it('rejects unknown and malformed codes', () => {
    expectValidation(() => currencyExponent('XXX'));
    expectValidation(() => currencyExponent('cny'));
    expectValidation(() => currencyExponent('toString'));
    expect(CurrencyCode.safeParse('CNY').success).toBe(true);
    expect(CurrencyCode.safeParse('ABC').success).toBe(false);
  });
});

describe('formatMinor', () => {
  it.each([
    [1234, 'CNY', '12.34'],
    [5, 'CNY', '0.05'],
    [0, 'CNY', '0.00'],
    [-5, 'CNY', '-0.05'],
    [100, 'CNY', '1.00'],
    [7, 'JPY', '7'],
    [1234, 'KWD', '1.234'],
    [1, 'KWD', '0.001'],
    [Number.MAX_SAFE_INTEGER, 'CNY', '90071992547409.91'],
  ])('%i %s → %s', (minor, cur, text) => {
    expect(formatMinor(minor, cur)).toBe(text);
  });

  it('rejects non-integers and unsafe integers', () => {
    expectValidation(() => formatMinor(12.5, 'CNY'));
    expectValidation(() => formatMinor(Number.MAX_SAFE_INTEGER + 1, 'CNY'));
    expectValidation(() => formatMinor(Number.NaN, 'CNY'));
  });
});

describe('parseMajor', () => {
  it.each([
    ['12.34', 'CNY', 1234],
    ['12.3', 'CNY', 1230],
    ['12', 'CNY', 1200],
    ['0.01', 'CNY', 1],
    ['007.00', 'CNY', 700],
    ['7', 'JPY', 7],
    ['1.234', 'KWD', 1234],
    ['90071992547409.91', 'CNY', Number.MAX_SAFE_INTEGER],
  ])('%s %s → %i', (text, cur, minor) => {
    expect(parseMajor(text, cur)).toBe(minor);
  });

  it('rejects more decimals than the currency has', () => {
    expectValidation(() => parseMajor('12.345', 'CNY'));
    expectValidation(() => parseMajor('7.0', 'JPY'));
    expectValidation(() => parseMajor('1.2345', 'KWD'));
  });

  it('rejects negatives unless allowed', () => {
    expectValidation(() => parseMajor('-1.00', 'CNY'));
    expect(parseMajor('-1.00', 'CNY', { allowNegative: true })).toBe(-100);
    expect(Object.is(parseMajor('-0.00', 'CNY'), 0)).toBe(true);
  });

  it.each(['', ' 1.00', '1.00 ', '+1.00', '1e3', '.5', '5.', '1,000.00', 'NaN', 'Infinity', '0x10', '１２'])(
    'rejects non-numeric %j',
    (text) => expectValidation(() => parseMajor(text, 'CNY')),
  );

  it('rejects amounts beyond the safe integer range', () => {
    expectValidation(() => parseMajor('90071992547409.92', 'CNY'));
    expectValidation(() => parseMajor('1'.repeat(30), 'CNY'));
  });
});

describe('assertSafeMinor', () => {
  it('accepts safe integers and rejects the rest', () => {
    expect(() => assertSafeMinor(-42)).not.toThrow();
    expectValidation(() => assertSafeMinor(0.1 + 0.2));
  });
});

describe('round-trip properties', () => {
  const currency = fc.constantFrom('CNY', 'JPY', 'KWD', 'USD');
  const minor = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

  it('parseMajor(formatMinor(x)) === x', () => {
    fc.assert(
      fc.property(minor, currency, (x, cur) => {
        expect(parseMajor(formatMinor(x, cur), cur, { allowNegative: true })).toBe(x);
      }),
    );
  });

  it('formatMinor output always has exactly the currency exponent of decimals', () => {
    fc.assert(
      fc.property(minor, currency, (x, cur) => {
        const text = formatMinor(x, cur);
        const frac = text.split('.')[1] ?? '';
        expect(frac.length).toBe(currencyExponent(cur));
      }),
    );
  });

  it('formatMinor(parseMajor(s)) normalises any valid decimal string of that currency', () => {
    const decimalText = fc
      .tuple(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 99 }))
      .map(([w, f]) => `${w}.${String(f).padStart(2, '0')}`);
    fc.assert(
      fc.property(decimalText, (s) => {
        expect(formatMinor(parseMajor(s, 'CNY'), 'CNY')).toBe(s);
      }),
    );
  });
});
