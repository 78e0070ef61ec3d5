import iconv from 'iconv-lite';
import { DomainError } from '../../domain/errors';
import { buildAdt, malformedDetailsOf, parseHl7, peekHeader, ackForError, type AdtInput } from '../../integrations/hospital/hl7';
import { codecOf, declaredCharset, decodeFrame, encodeText } from '../../integrations/hospital/hl7/charset';
import { MllpDecoder, frame } from '../../integrations/hospital/mllp';

function adt(characterSet: string | undefined, doctorName: string, patientName: string): string {
  const input: AdtInput = {
    sendingApplication: 'HIS',
    sendingFacility: 'BJPUMC',
    controlId: 'CS-1',
    sentAt: '2025-03-03T01:00:00.000Z',
    version: '2.3.1',
    ...(characterSet !== undefined ? { characterSet } : {}),
    bookingRef: 'BK-CHARSET',
    doctor: { id: 'D1', name: doctorName },
    patient: { id: 'P-1', familyName: patientName },
  };
  return buildAdt('A04', input);
}

function doctorOf(text: string): string | undefined {
  const e = parseHl7(text);
  return e.kind === 'patient-registered' ? e.doctor?.name : undefined;
}

describe('MSH-18 → codec (HL7 table 0211)', () => {
  it.each([
    [undefined, 'utf8'],
    ['', 'utf8'],
    ['ASCII', 'utf8'],
    ['8859/1', 'iso-8859-1'],
    ['8859/9', 'iso-8859-9'],
    ['UNICODE UTF-8', 'utf8'],
    ['UTF-8', 'utf8'],
    ['GB 18030-2000', 'gb18030'],
    ['GBK', 'gbk'],
    ['GB2312', 'gb18030'],
    [' gbk ', 'gbk'],
  ])('%p → %p', (declared, codec) => {
    expect(codecOf(declared)).toBe(codec);
  });

  it.each(['EBCDIC', 'UNICODE', '8859/15', 'KOI8-R'])('%p is unknown', (declared) => {
    expect(codecOf(declared)).toBeUndefined();
  });

  it('reads MSH-18 from the bytes of the first segment only, with the sender’s separators', () => {
    expect(declaredCharset(Buffer.from(adt('8859/1', 'X', 'Y'), 'latin1'))).toBe('8859/1');
    expect(declaredCharset(Buffer.from('MSH#^*\\&#A#B#C#D#T##ADT^A04#1#P#2.5######GBK*UNICODE UTF-8\r', 'latin1'))).toBe('GBK');
    expect(declaredCharset(Buffer.from(adt(undefined, 'X', 'Y'), 'utf8'))).toBeUndefined();
    expect(declaredCharset(Buffer.from('PID|1|||||||||||||||||GBK\r'))).toBeUndefined();
    expect(declaredCharset(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('decoding frames by MSH-18', () => {
  it('8859/1: Émilie survives (as UTF-8 it would become �milie)', () => {
    const text = adt('8859/1', 'Émilie Dubois', 'Lefèvre');
    const bytes = iconv.encode(text, 'iso-8859-1');
    expect(bytes.toString('utf8')).toContain('\uFFFDmilie'); // what happened before
    const decoded = decodeFrame(bytes);
    expect(decoded.codec).toBe('iso-8859-1');
    expect(decoded.text).toBe(text);
    expect(doctorOf(decoded.text)).toBe('Émilie Dubois');
  });

  it('GB 18030: a Chinese name survives, also through the MLLP decoder split mid-character', () => {
    const text = adt('GB 18030-2000', '欧阳娜娜', '张三丰');
    const framed = frame(iconv.encode(text, 'gb18030'));
    const cut = framed.indexOf(iconv.encode('娜', 'gb18030')) + 1;
    const decoder = new MllpDecoder();
    const out = [...decoder.push(framed.subarray(0, cut)), ...decoder.push(framed.subarray(cut))];
    expect(out).toEqual([text]);
    expect(doctorOf(out[0] ?? '')).toBe('欧阳娜娜');
  });

  it('GBK is read with its own codec', () => {
    const text = adt('GBK', '李医生', '王五');
    expect(decodeFrame(iconv.encode(text, 'gbk')).text).toBe(text);
  });

  it('no MSH-18: UTF-8, as before', () => {
    const text = adt(undefined, 'Émilie 李', 'X');
    expect(decodeFrame(Buffer.from(text, 'utf8'))).toEqual({ text, codec: 'utf8' });
  });

  it('an unknown MSH-18 keeps the bytes one to one and is refused with an HL7 error naming MSH-18', () => {
    const bytes = Buffer.from(adt('EBCDIC', 'X', '\u00c1\u00ffZ'), 'latin1');
    const decoded = decodeFrame(bytes);
    expect(Buffer.from(decoded.text, 'latin1').equals(bytes)).toBe(true);
    let caught: unknown;
    try {
      parseHl7(decoded.text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(malformedDetailsOf(caught)).toMatchObject({ field: 'MSH-18', hl7ErrorCode: '103', location: { segment: 'MSH', field: 18 } });
    const ack = ackForError(peekHeader(decoded.text), caught);
    expect(ack).toMatch(/\rMSA\|AE\|CS-1\|MSH-18 character set is not supported/);
    expect(ack).toMatch(/\rERR\|MSH\^1\^18\^103/);
    // The ACK does not claim a character set we cannot write.
    expect(ack.split('\r')[0]?.split('|')[17]).toBeUndefined();
  });

  it('the ACK declares and is written in the original’s character set', () => {
    const original = adt('8859/1', 'Émilie', 'X');
    const ack = ackForError(peekHeader(original), new Error('boom'));
    expect(ack.split('\r')[0]?.split('|')[17]).toBe('8859/1');
    expect(encodeText('Émilie', 'iso-8859-1')).toEqual(Buffer.from([0xc9, 0x6d, 0x69, 0x6c, 0x69, 0x65]));
    expect(encodeText('李', 'utf8')).toEqual(Buffer.from('李', 'utf8'));
  });
});
