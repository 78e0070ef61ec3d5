import { DomainError } from '../../domain/errors';
import { acceptAck, parseAck, parseHl7, parseTimestamp, peekHeader } from '../../integrations/hospital/hl7';
import { parseInbound } from '../../integrations/hospital/inbound/apply';
import { fixture, withField } from '../fixtures/hl7';

/** HL7 reading rules a hospital interface relies on (issue 9, item 9). */

describe('whitespace-only fields are absent', () => {
  it('a PV1-50 of one space never becomes the correlation " "', () => {
    const msg = withField(fixture('adt_a08_v251.hl7'), 'PV1', 50, ' ');
    let bookingRef: string | undefined;
    try {
      bookingRef = parseInbound(msg).bookingRef;
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
    }
    expect(bookingRef?.trim()).not.toBe('');
  });
});

describe('MSH-10 is read the same way everywhere', () => {
  it('peek, parse and the ACK all carry MSH-10 exactly as sent', () => {
    const msg = withField(fixture('siu_s12_v251.hl7'), 'MSH', 10, ' C-10 ');
    const peeked = peekHeader(msg).controlId;
    expect(peeked).toBe(' C-10 ');
    expect(parseHl7(msg).header.controlId).toBe(peeked);
    expect(parseAck(acceptAck(peekHeader(msg))).ackedControlId).toBe(' C-10 ');
  });

  it('a whitespace-only MSH-10 is missing in both readers', () => {
    const msg = withField(fixture('siu_s12_v251.hl7'), 'MSH', 10, '   ');
    expect(peekHeader(msg).controlId).toBeUndefined();
    expect(() => parseHl7(msg)).toThrow(/MSH-10/);
  });
});

describe('HL7 versions', () => {
  it.each(['2.3', '2.3.1'])('accepts version %s', (version) => {
    const msg = withField(fixture('siu_s12_v231.hl7'), 'MSH', 12, version);
    expect(parseHl7(msg).header.version).toBe(version);
  });
});

describe('timestamps without an offset are read in the sending hospital’s zone', () => {
  it('takes the zone’s offset at that wall time, daylight saving included', () => {
    expect(parseTimestamp('20250115093000', { timeZone: 'Asia/Shanghai' })).toBe('2025-01-15T01:30:00.000Z');
    expect(parseTimestamp('20250115093000', { timeZone: 'America/New_York' })).toBe('2025-01-15T14:30:00.000Z');
    expect(parseTimestamp('20250715093000', { timeZone: 'America/New_York' })).toBe('2025-07-15T13:30:00.000Z');
    // An explicit offset always wins.
    expect(parseTimestamp('20250715093000+0000', { timeZone: 'America/New_York' })).toBe('2025-07-15T09:30:00.000Z');
  });

  it('parseHl7 uses the timeZone option for MSH-7', () => {
    const msg = withField(fixture('siu_s12_v251.hl7'), 'MSH', 7, '20250115093000');
    expect(parseHl7(msg, { timeZone: 'Europe/London' }).header.sentAt).toBe('2025-01-15T09:30:00.000Z');
    expect(parseHl7(msg).header.sentAt).toBe('2025-01-15T01:30:00.000Z');
  });
});
