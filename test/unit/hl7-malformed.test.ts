import { DomainError, ErrorCode } from '../../domain/errors';
import { parseHl7, peekHeader } from '../../integrations/hospital/hl7';
import { fixture, withField, withoutSegment } from '../fixtures/hl7';

function malformedError(raw: string): DomainError {
  try {
    parseHl7(raw);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected parseHl7 to throw');
}

function expectMalformed(raw: string, field: string, hl7ErrorCode: string, reason: RegExp): DomainError {
  const err = malformedError(raw);
  expect(err.code).toBe(ErrorCode.Hl7Malformed);
  expect(err.details).toMatchObject({ field, hl7ErrorCode });
  expect(err.message).toMatch(reason);
  return err;
}

const siu = fixture('siu_s12_v231.hl7');
const oru = fixture('oru_r01_v251.hl7');
const dft = fixture('dft_p03_v231.hl7');

describe('envelope problems', () => {
  it.each([
    ['an empty message', '', 'MSH', '100', /empty/],
    ['no MSH', siu.slice(siu.indexOf('SCH|')), 'MSH', '100', /does not start with an MSH/],
    ['a batch', `FHS|^~\\&|HIS\r${siu}`, 'MSH', '100', /batch/],
    ['three encoding characters', siu.replace('MSH|^~\\&|', 'MSH|^~\\|'), 'MSH-2', '102', /exactly 4/],
    ['repeated encoding characters', siu.replace('MSH|^~\\&|', 'MSH|^^\\&|'), 'MSH-2', '102', /different/],
    ['a garbled segment', siu.replace('PID|', 'p!d|'), 'MSH', '100', /segment 3 .*valid segment name/],
    ['a message truncated inside MSH', siu.slice(0, 30), 'MSH-9.1', '101', /MSH-9.1 \(message type\) is required/],
    ['no control id', withField(siu, 'MSH', 10, ''), 'MSH-10', '101', /MSH-10/],
    ['no sending facility', withField(siu, 'MSH', 4, ''), 'MSH-4', '101', /hospital id/],
    ['an unreadable timestamp', withField(siu, 'MSH', 7, '2024-05-01 08:30'), 'MSH-7', '102', /timestamp/],
    ['an impossible date', withField(siu, 'MSH', 7, '20240230083000'), 'MSH-7', '102', /timestamp/],
    ['an unsupported version', withField(siu, 'MSH', 12, '2.6'), 'MSH-12', '203', /2\.6 is not supported/],
    ['an unknown processing id', withField(siu, 'MSH', 11, 'X'), 'MSH-11', '202', /P, D or T/],
    ['an unsupported message type', withField(siu, 'MSH', 9, 'MFN^M02'), 'MSH-9.1', '200', /MFN is not supported/],
    ['an unsupported trigger', withField(siu, 'MSH', 9, 'SIU^S17'), 'MSH-9.2', '201', /S17 is not supported for SIU/],
    ['a wrong trigger for the type', withField(oru, 'MSH', 9, 'ORU^R30'), 'MSH-9.2', '201', /R30/],
    ['no trigger', withField(siu, 'MSH', 9, 'SIU'), 'MSH-9.2', '101', /trigger event/],
  ])('rejects %s', (_name, raw, field, code, reason) => {
    expectMalformed(raw, field, code, reason);
  });
});

describe('missing or wrong content', () => {
  it('SIU without the booking ref in SCH-1', () => {
    expectMalformed(withField(siu, 'SCH', 1, '^CAUSEWAY'), 'SCH-1', '101', /placer appointment id/);
  });

  it('SIU S12 without any slot time names where it looked', () => {
    let raw = withField(siu, 'SCH', 11, '');
    raw = withoutSegment(raw, 'AIS');
    expectMalformed(raw, 'SCH-11.4', '101', /TQ1-7, AIS-4, AIL-6 and AIP-6/);
  });

  it('SIU v2.5.1 without TQ1 and SCH-11 points at TQ1-7', () => {
    const raw = withoutSegment(withoutSegment(withoutSegment(fixture('siu_s12_v251.hl7'), 'TQ1'), 'AIL'), 'AIP');
    expectMalformed(raw, 'TQ1-7', '101', /appointment start time/);
  });

  it('SIU with a truncated message (no PID)', () => {
    const raw = siu.slice(0, siu.indexOf('PID|'));
    expectMalformed(raw, 'PID', '100', /PID segment \(patient identification\) is missing/);
  });

  it('missing patient id in PID-3', () => {
    expectMalformed(withField(siu, 'PID', 3, ''), 'PID-3', '101', /patient identifier list/);
  });

  it('an unknown duration unit', () => {
    expectMalformed(withField(siu, 'SCH', 10, 'FORTNIGHT'), 'SCH-10', '103', /duration unit/);
  });

  it('ADT without the booking ref in PV1-50', () => {
    const adt = fixture('adt_a04_v231.hl7');
    expectMalformed(withField(adt, 'PV1', 50, ''), 'PV1-50', '101', /CAUSEWAY booking reference/);
    // A PV1-50 issued by another authority is not ours.
    expectMalformed(withField(adt, 'PV1', 50, 'X1^^^OTHER'), 'PV1-50', '101', /PV1-50/);
    expectMalformed(withoutSegment(adt, 'PV1'), 'PV1', '100', /PV1 segment/);
  });

  it('ORU with a non-numeric NM value points at the OBX and does not echo the value', () => {
    const raw = oru.replace('OBX|1|NM|GLU^Glucose^LN||5.6|', 'OBX|1|NM|GLU^Glucose^LN||high-ish|');
    const err = expectMalformed(raw, 'OBX-5', '102', /OBX-5 is not a valid numeric value/);
    expect(err.message).not.toContain('high-ish');
    expect(err.details).toMatchObject({ location: { segment: 'OBX', sequence: 1, field: 5 } });
  });

  it('ORU error in the second OBX carries its sequence', () => {
    const raw = oru.replace('OBX|2|SN|HBA1C^HbA1c^LN||<^4.0|', 'OBX|2|SN|HBA1C^HbA1c^LN||<^four|');
    const err = expectMalformed(raw, 'OBX-5', '102', /\(OBX #2\)/);
    expect(err.details).toMatchObject({ location: { segment: 'OBX', sequence: 2, field: 5 } });
  });

  it('ORU without result status, value type, or OBR before OBX', () => {
    expectMalformed(withField(oru, 'OBX', 11, ''), 'OBX-11', '101', /result status/);
    expectMalformed(withField(oru, 'OBX', 2, ''), 'OBX-2', '101', /value type/);
    expectMalformed(withoutSegment(oru, 'OBR'), 'OBX', '100', /OBX must follow an OBR/);
  });

  it('orders without ORC, OBR before ORC, or without any order id', () => {
    const orm = fixture('orm_o01_v231.hl7');
    expectMalformed(withoutSegment(withoutSegment(withoutSegment(orm, 'ORC'), 'OBR'), 'FT1'), 'ORC', '100', /ORC segment/);
    expectMalformed(withoutSegment(orm, 'ORC'), 'OBR', '100', /OBR must follow an ORC/);
    const oml = fixture('oml_o21_v251.hl7');
    const noIds = withField(withField(withField(withField(oml, 'ORC', 2, ''), 'ORC', 3, ''), 'OBR', 2, ''), 'OBR', 3, '');
    expectMalformed(noIds, 'ORC-2', '101', /placer order number/);
  });

  it.each([
    ['too many decimals', '12.345', '102', /at most 2 decimal places/],
    ['a thousands separator', '1,200.00', '102', /not a decimal amount/],
    ['an exponent', '1e3', '102', /not a decimal amount/],
    ['an unknown currency', '12.00&XXX', '103', /unsupported currency/],
  ])('FT1 amount with %s', (_name, amount, code, reason) => {
    expectMalformed(withField(dft, 'FT1', 11, amount), 'FT1-11', code, reason);
  });

  it('FT1 without any amount or without a transaction code', () => {
    const noAmounts = withField(withField(dft, 'FT1', 11, ''), 'FT1', 12, '');
    expectMalformed(noAmounts, 'FT1-11', '101', /transaction amount/);
    expectMalformed(withField(dft, 'FT1', 7, ''), 'FT1-7', '101', /transaction code/);
  });

  it('ACK with an unknown MSA-1 or without MSA', () => {
    const ack = fixture('ack_aa_v231.hl7');
    expectMalformed(withField(ack, 'MSA', 1, 'OK'), 'MSA-1', '103', /AA, AE, AR/);
    expectMalformed(withoutSegment(ack, 'MSA'), 'MSA', '100', /MSA segment/);
  });
});

describe('peekHeader', () => {
  it('reads MSH from messages the parser rejects', () => {
    const broken = withField(withoutSegment(siu, 'PID'), 'MSH', 12, '9.9');
    expect(() => parseHl7(broken)).toThrow(DomainError);
    expect(peekHeader(broken)).toMatchObject({
      controlId: 'HIS0000123',
      messageType: 'SIU',
      triggerEvent: 'S12',
      version: '9.9',
      sendingApplication: 'HIS',
      sendingFacility: 'BJPUMC',
      receivingFacility: 'CAUSEWAY',
    });
  });

  it('reads MSH with bad encoding characters or custom delimiters, and garbage without throwing', () => {
    expect(peekHeader(siu.replace('MSH|^~\\&|', 'MSH|^~|')).controlId).toBe('HIS0000123');
    expect(peekHeader(fixture('siu_s12_custom_delims.hl7')).messageType).toBe('SIU');
    expect(peekHeader('\u000bgarbage\u001c')).toEqual({});
    expect(peekHeader('')).toEqual({});
  });
});
