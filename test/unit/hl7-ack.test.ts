import { DomainError, ErrorCode } from '../../domain/errors';
import {
  acceptAck,
  ackForError,
  assertAccepted,
  buildAck,
  newControlId,
  parseAck,
  parseHl7,
  peekHeader,
  type Acknowledgement,
} from '../../integrations/hospital/hl7';
import { fixture, withField } from '../fixtures/hl7';

function parseError(raw: string): unknown {
  try {
    parseHl7(raw);
  } catch (err) {
    return err;
  }
  throw new Error('expected a parse error');
}

function segmentsOf(raw: string): string[] {
  return raw.split('\r').filter((s) => s !== '');
}

const sentAt = '2024-05-01T00:31:00.000Z';

describe('buildAck', () => {
  it('AA addresses the sender, echoes MSH-10 and speaks the sender’s version', () => {
    const original = parseHl7(fixture('siu_s12_v231.hl7')).header;
    const raw = acceptAck(original, { controlId: 'CWACK1', sentAt });
    expect(segmentsOf(raw)).toEqual([
      'MSH|^~\\&|CAUSEWAY|CAUSEWAY|HIS|BJPUMC|20240501083100+0800||ACK^S12^ACK|CWACK1|P|2.3.1',
      'MSA|AA|HIS0000123',
    ]);
    expect(parseAck(raw)).toMatchObject({
      kind: 'ack',
      ackCode: 'AA',
      ackedControlId: 'HIS0000123',
      errors: [],
      header: { sendingFacility: 'CAUSEWAY', receivingFacility: 'BJPUMC', receivingApplication: 'HIS', version: '2.3.1' },
    });
  });

  it('v2.5.1 AE uses ERR-2 location, ERR-3 code (table 0357), ERR-4 severity and ERR-8 text', () => {
    const raw = buildAck({
      original: { controlId: 'HIS1', version: '2.5.1', sendingFacility: 'BJPUMC', triggerEvent: 'O01' },
      ackCode: 'AE',
      controlId: 'CWACK2',
      sentAt,
      errors: [
        { code: '101', text: 'PV1-50 (booking ref) is required | please resend', location: { segment: 'PV1', sequence: 1, field: 50 } },
        { code: '103', severity: 'W', text: 'unknown unit', diagnostic: 'unit table v3' },
      ],
    });
    const segments = segmentsOf(raw);
    expect(segments[2]).toBe('ERR||PV1^1^50|101^Required field missing^HL70357|E||||PV1-50 (booking ref) is required \\F\\ please resend');
    expect(segments[3]).toBe('ERR|||103^Table value not found^HL70357|W|||unit table v3|unknown unit');
    expect(parseAck(raw)).toMatchObject({
      ackCode: 'AE',
      ackedControlId: 'HIS1',
      text: 'PV1-50 (booking ref) is required | please resend',
      errors: [
        {
          code: '101',
          text: 'Required field missing',
          severity: 'E',
          location: { segment: 'PV1', sequence: 1, field: 50 },
          userMessage: 'PV1-50 (booking ref) is required | please resend',
        },
        { code: '103', severity: 'W', diagnostic: 'unit table v3', userMessage: 'unknown unit' },
      ],
    });
  });

  it('v2.3.1 AE puts the errors in one ERR with repeating ERR-1 (ELD) and the text in MSA-3', () => {
    const raw = buildAck({
      original: { controlId: 'HIS2', version: '2.3.1' },
      ackCode: 'AE',
      sentAt,
      errors: [
        { code: '101', text: 'PID-3 missing', location: { segment: 'PID', sequence: 1, field: 3 } },
        { code: '102', location: { segment: 'OBX', sequence: 2, field: 5 } },
      ],
    });
    const segments = segmentsOf(raw);
    expect(segments[1]).toBe('MSA|AE|HIS2|PID-3 missing');
    expect(segments[2]).toBe('ERR|PID^1^3^101&Required field missing&HL70357~OBX^2^5^102&Data type error&HL70357');
    expect(parseAck(raw).errors).toEqual([
      { code: '101', text: 'Required field missing', location: { segment: 'PID', sequence: 1, field: 3 } },
      { code: '102', text: 'Data type error', location: { segment: 'OBX', sequence: 2, field: 5 } },
    ]);
  });
});

describe('ackForError', () => {
  it('turns a parse failure into AE with the failing field', () => {
    const raw = withField(fixture('adt_a08_v251.hl7'), 'PID', 3, '');
    const ack = parseAck(ackForError(peekHeader(raw), parseError(raw), { sentAt }));
    expect(ack).toMatchObject({
      ackCode: 'AE',
      ackedControlId: 'HIS0000202',
      header: { version: '2.5.1', triggerEvent: 'A08' },
      errors: [
        {
          code: '101',
          severity: 'E',
          location: { segment: 'PID', sequence: 1, field: 3 },
          userMessage: 'PID-3 (patient identifier list) is required',
        },
      ],
    });
  });

  it('rejects (AR) an unsupported version, answering in 2.5.1', () => {
    const raw = withField(fixture('siu_s12_v231.hl7'), 'MSH', 12, '2.2');
    const ack = parseAck(ackForError(peekHeader(raw), parseError(raw)));
    expect(ack).toMatchObject({ ackCode: 'AR', ackedControlId: 'HIS0000123', header: { version: '2.5.1' }, errors: [{ code: '203' }] });
  });

  it('answers unexpected errors with AR 207 without leaking their message', () => {
    const header = parseHl7(fixture('oru_r01_v251.hl7')).header;
    const raw = ackForError(header, new Error('connect ECONNREFUSED postgres://admin:hunter2@db'));
    expect(raw).not.toContain('hunter2');
    expect(parseAck(raw)).toMatchObject({ ackCode: 'AR', errors: [{ code: '207', userMessage: 'Application internal error' }] });
  });

  it('maps domain not-found and conflict to 204 and 205', () => {
    const header = parseHl7(fixture('oru_r01_v251.hl7')).header;
    expect(parseAck(ackForError(header, new DomainError(ErrorCode.NotFound, 'no such booking'))).errors[0]?.code).toBe('204');
    expect(parseAck(ackForError(header, new DomainError(ErrorCode.Conflict, 'duplicate'))).errors[0]?.code).toBe('205');
  });

  it('still produces a parseable ACK for a message with no readable MSH', () => {
    const raw = 'this is not HL7';
    const ack = parseAck(ackForError(peekHeader(raw), parseError(raw)));
    expect(ack).toMatchObject({ ackCode: 'AE', ackedControlId: '', errors: [{ code: '100' }] });
  });
});

describe('assertAccepted', () => {
  const ack = (code: Acknowledgement['ackCode']): Acknowledgement => parseAck(withField(fixture('ack_ae_v231.hl7'), 'MSA', 1, code));

  it('passes AA and CA through', () => {
    expect(assertAccepted(ack('AA')).ackCode).toBe('AA');
    expect(assertAccepted(ack('CA')).ackCode).toBe('CA');
  });

  it.each(['AE', 'AR', 'CE', 'CR'] as const)('throws Hl7Rejected on %s with the ACK code and errors', (code) => {
    let caught: unknown;
    try {
      assertAccepted(ack(code));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({
      code: ErrorCode.Hl7Rejected,
      details: {
        ackCode: code,
        ackedControlId: 'CW00000002',
        errors: [expect.objectContaining({ code: '205' }), expect.objectContaining({ code: '101' })],
      },
    });
  });
});

describe('newControlId', () => {
  it('is 20 characters, unique, and orders by creation time', () => {
    const ids = Array.from({ length: 5000 }, () => newControlId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^CW[0-9A-Z]{18}$/);
    expect(newControlId(1_700_000_000_000).slice(0, 10) < newControlId(1_700_000_001_000).slice(0, 10)).toBe(true);
  });
});
