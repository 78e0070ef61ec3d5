import { DomainError, ErrorCode } from '../../domain/errors';
import { parseHl7 } from '../../integrations/hospital/hl7';
import { fixture, withField } from '../fixtures/hl7';

/** ORM/OML rules enforced at the inbox: what would bill wrongly or wedge a visit is refused with AE naming the field. */

function refusal(raw: string): DomainError {
  try {
    parseHl7(raw);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected parseHl7 to throw');
}

const orm = fixture('orm_o01_v231.hl7');

describe('ORM order ids and controls', () => {
  it('refuses a placer order id longer than HL7 allows (it used to wedge the visit)', () => {
    const err = refusal(withField(orm, 'ORC', 2, `${'A'.repeat(200)}^HIS`));
    expect(err.code).toBe(ErrorCode.Hl7Malformed);
    expect(err.details).toMatchObject({ field: 'ORC-2.1', hl7ErrorCode: '102' });
  });

  it('accepts a placer order id at the limit', () => {
    const e = parseHl7(withField(orm, 'ORC', 2, `${'A'.repeat(199)}^HIS`));
    expect(e.kind === 'orders-placed' && e.orders[0]?.placerOrderId).toHaveLength(199);
  });

  it('refuses an ORC-1 outside table 0119, and reads CA/XO as given', () => {
    expect(refusal(withField(orm, 'ORC', 1, 'ZZ')).details).toMatchObject({ field: 'ORC-1', hl7ErrorCode: '103' });
    const e = parseHl7(withField(orm, 'ORC', 1, 'CA'));
    expect(e.kind === 'orders-placed' && e.orders[0]?.orderControl).toBe('CA');
  });

  it('refuses an ORU whose OBR-2 is too long', () => {
    const oru = fixture('oru_r01_v251.hl7');
    expect(refusal(withField(oru, 'OBR', 2, 'B'.repeat(300))).details).toMatchObject({ field: 'OBR-2.1', hl7ErrorCode: '102' });
  });
});

describe('ORM charges', () => {
  it('accepts an FT1 with only a unit price (billed as quantity × unit price downstream)', () => {
    const unitOnly = withField(withField(orm, 'FT1', 11, ''), 'FT1', 10, '3');
    const e = parseHl7(unitOnly);
    expect(e.kind === 'orders-placed' && e.orders[0]?.charges[0]).toMatchObject({
      quantity: 3,
      unitAmount: { amountMinor: 2500, currency: 'CNY' },
    });
  });

  it('refuses one order charged in two currencies, naming the FT1 field and its sequence', () => {
    const lines = orm.split('\r');
    const i = lines.findIndex((l) => l.startsWith('FT1|2|'));
    lines[i] = 'FT1|2|TX-2||20240503093000||CG|CRP^C反应蛋白^HIS|||1|40.5&USD|40.5&USD';
    const err = refusal(lines.join('\r'));
    expect(err.details).toMatchObject({ field: 'FT1-11', hl7ErrorCode: '102', location: { segment: 'FT1', sequence: 2, field: 11 } });
    expect(err.message).toMatch(/different currencies/);
  });
});
