import fc from 'fast-check';
import { lineAmount, orderActionOf, priceCharges } from '../../domain/hospital/orders';

describe('ORC-1 order control', () => {
  it.each([
    ['NW', 'new'],
    ['CA', 'cancel'],
    ['DC', 'cancel'],
    ['OC', 'cancel'],
    ['XO', 'change'],
    ['SC', 'none'],
    ['RE', 'none'],
  ])('%s is %s', (code, action) => {
    expect(orderActionOf(code)).toBe(action);
  });

  it('knows no code outside HL7 table 0119', () => {
    expect(orderActionOf('ZZ')).toBeUndefined();
    expect(orderActionOf('')).toBeUndefined();
  });
});

const cny = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });

describe('pricing a charge line', () => {
  it('bills quantity × unit price when only the unit price is sent (it used to bill 0)', () => {
    expect(lineAmount({ quantity: 3, unitAmount: cny(880) })).toEqual({ ok: true, amountMinor: 2640, currency: 'CNY' });
    expect(lineAmount({ unitAmount: cny(880) })).toEqual({ ok: true, amountMinor: 880, currency: 'CNY' });
    expect(lineAmount({ quantity: 0.5, unitAmount: cny(300) })).toMatchObject({ ok: true, amountMinor: 150 });
  });

  it('takes the line total when both are sent', () => {
    expect(lineAmount({ quantity: 2, extendedAmount: cny(1700), unitAmount: cny(880) })).toMatchObject({ ok: true, amountMinor: 1700 });
  });

  it('refuses a fraction of a minor unit, a non-positive quantity and negative prices, naming the field', () => {
    expect(lineAmount({ quantity: 0.5, unitAmount: cny(301) })).toMatchObject({ ok: false, field: 'FT1-10' });
    expect(lineAmount({ quantity: 0, unitAmount: cny(100) })).toMatchObject({ ok: false, field: 'FT1-10' });
    expect(lineAmount({ unitAmount: cny(-1) })).toMatchObject({ ok: false, field: 'FT1-12' });
    expect(lineAmount({ extendedAmount: cny(-1) })).toMatchObject({ ok: false, field: 'FT1-11' });
    expect(lineAmount({ quantity: 1e6, unitAmount: cny(Number.MAX_SAFE_INTEGER) })).toMatchObject({ ok: false, field: 'FT1-10' });
  });

  it('is an exact integer product for whole quantities (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000_000 }), (q, unit) => {
        const r = lineAmount({ quantity: q, unitAmount: cny(unit) });
        return r.ok && r.amountMinor === q * unit && Number.isInteger(r.amountMinor);
      }),
    );
  });
});

describe('pricing an order', () => {
  it('sums the lines in their own currency', () => {
    expect(
      priceCharges([
        { extendedAmount: { amountMinor: 500, currency: 'USD' } },
        { quantity: 2, unitAmount: { amountMinor: 100, currency: 'USD' } },
      ]),
    ).toEqual({
      ok: true,
      currency: 'USD',
      amountsMinor: [500, 200],
      totalMinor: 700,
    });
  });

  it('refuses mixed currencies, naming the line and field that differs', () => {
    expect(priceCharges([{ extendedAmount: cny(500) }, { extendedAmount: { amountMinor: 100, currency: 'USD' } }])).toMatchObject({
      ok: false,
      index: 1,
      field: 'FT1-11',
    });
    expect(priceCharges([{ extendedAmount: cny(500) }, { unitAmount: { amountMinor: 100, currency: 'HKD' } }])).toMatchObject({
      ok: false,
      index: 1,
      field: 'FT1-12',
    });
  });

  it('has no currency and no total without charges', () => {
    expect(priceCharges([])).toEqual({ ok: true, currency: undefined, amountsMinor: [], totalMinor: 0 });
  });

  it('total equals the sum of the lines (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ q: fc.integer({ min: 1, max: 50 }), unit: fc.integer({ min: 0, max: 100_000 }) }), { maxLength: 20 }),
        (lines) => {
          const r = priceCharges(lines.map((l) => ({ quantity: l.q, unitAmount: cny(l.unit) })));
          return r.ok && r.totalMinor === lines.reduce((s, l) => s + l.q * l.unit, 0);
        },
      ),
    );
  });
});
