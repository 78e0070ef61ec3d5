import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { formatMinor } from '../../domain/money';
import { formatTimestamp, parseHl7Amount, parseTimestamp } from '../../integrations/hospital/hl7';

describe('parseHl7Amount (money as integer minor units, string arithmetic only)', () => {
  it.each([
    ['12.50', 'CNY', 1250],
    ['12.5', 'CNY', 1250],
    ['12', 'CNY', 1200],
    ['12.', 'CNY', 1200],
    ['.5', 'CNY', 50],
    ['+3.07', 'CNY', 307],
    ['-65.50', 'CNY', -6550],
    ['0.10', 'CNY', 10],
    ['12.500', 'CNY', 1250],
    ['0012.30', 'CNY', 1230],
    [' 7.25 ', 'CNY', 725],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['90071992547409.91', 'CNY', 9007199254740991],
  ])('%s %s → %i', (text, currency, minor) => {
    expect(parseHl7Amount(text, currency)).toBe(minor);
  });

  it('0.1 + 0.2 style values stay exact', () => {
    expect(parseHl7Amount('0.30', 'CNY')).toBe(parseHl7Amount('0.10', 'CNY') + parseHl7Amount('0.20', 'CNY'));
  });

  it.each([
    ['12.345', 'CNY', /at most 2 decimal places/],
    ['1.5', 'JPY', /at most 0 decimal places/],
    ['12,50', 'CNY', /not a decimal amount/],
    ['1e3', 'CNY', /not a decimal amount/],
    ['', 'CNY', /not a decimal amount/],
    ['-', 'CNY', /not a decimal amount/],
    ['90071992547409.92', 'CNY', /safe integer/],
  ])('rejects %s %s', (text, currency, reason) => {
    let caught: unknown;
    try {
      parseHl7Amount(text, currency, { segment: 'FT1', field: 11 });
    } catch (err) {
      caught = err;
    }
    if (!(caught instanceof DomainError)) throw new Error('expected a DomainError');
    expect(caught).toMatchObject({ code: ErrorCode.Hl7Malformed, details: { field: 'FT1-11', hl7ErrorCode: '102' } });
    expect(caught.message).toMatch(reason);
  });

  it('round-trips any safe amount through its decimal form', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (minor) => {
        expect(parseHl7Amount(formatMinor(minor, 'CNY'), 'CNY')).toBe(minor);
      }),
    );
  });
});

describe('timestamps', () => {
  it.each([
    ['20240501083000+0800', '2024-05-01T00:30:00.000Z'],
    ['20240501083000-0500', '2024-05-01T13:30:00.000Z'],
    ['20240501083000+0000', '2024-05-01T08:30:00.000Z'],
    ['20240501083000.1234+0800', '2024-05-01T00:30:00.123Z'],
    ['202405010830+0800', '2024-05-01T00:30:00.000Z'],
    ['20240501+0800', '2024-04-30T16:00:00.000Z'],
    ['20240501083000', '2024-05-01T00:30:00.000Z'],
    ['20240229235959', '2024-02-29T15:59:59.000Z'],
  ])('%s → %s (local offset +08:00 when none given)', (text, iso) => {
    expect(parseTimestamp(text, 480)).toBe(iso);
  });

  it.each(['2024-05-01', '20240230', '20231301', '20240501250000', '20240501086000', '20240501083000+2500', '2024050108300', 'abc'])(
    'rejects %s',
    (text) => {
      expect(parseTimestamp(text, 480)).toBeUndefined();
    },
  );

  it('formats in the given offset and parses back to the same instant', () => {
    expect(formatTimestamp('2024-05-01T00:30:00.000Z', 480)).toBe('20240501083000+0800');
    expect(formatTimestamp('2024-05-01T00:30:00.000Z', -330)).toBe('20240430190000-0530');
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offset) => {
          const whole = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
          expect(parseTimestamp(formatTimestamp(whole, offset), 0)).toBe(whole);
        },
      ),
    );
  });
});
