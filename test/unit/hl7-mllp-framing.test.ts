import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { MllpDecoder, frame } from '../../integrations/hospital/mllp';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

function feed(decoder: MllpDecoder, chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => decoder.push(c));
}

/** Cuts a buffer at the given offsets. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

const messages = ['MSH|^~\\&|A|B\rPID|1||张三\r', 'MSH|^~\\&|C|D\rOBX|1|FT|X||血红蛋白偏低\r', 'short'];

describe('frame', () => {
  it('wraps the UTF-8 bytes in <VT> … <FS><CR>', () => {
    expect([...frame('中')]).toEqual([VT, 0xe4, 0xb8, 0xad, FS, CR]);
  });
});

describe('MllpDecoder', () => {
  it('decodes several frames delivered in one chunk, in order', () => {
    const chunk = Buffer.concat(messages.map(frame));
    expect(new MllpDecoder().push(chunk)).toEqual(messages);
  });

  it('decodes frames split across arbitrary chunk boundaries, including inside UTF-8 characters', () => {
    const stream = Buffer.concat(messages.map(frame));
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        expect(feed(new MllpDecoder(), split(stream, cuts))).toEqual(messages);
      }),
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    const stream = Buffer.concat(messages.map(frame));
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(feed(new MllpDecoder(), bytes)).toEqual(messages);
  });

  it('discards bytes outside frames and counts them', () => {
    const decoder = new MllpDecoder();
    const stream = Buffer.concat([Buffer.from('noise\r\n'), frame('one'), Buffer.from('xx'), frame('two'), Buffer.from('tail')]);
    expect(decoder.push(stream)).toEqual(['one', 'two']);
    expect(decoder.discardedBytes).toBe('noise\r\n'.length + 2 + 4);
  });

  it('drops a frame abandoned by a new start block and keeps the new one', () => {
    const decoder = new MllpDecoder();
    const stream = Buffer.concat([Buffer.from([VT]), Buffer.from('half a mess'), frame('whole')]);
    expect(decoder.push(stream)).toEqual(['whole']);
    expect(decoder.discardedBytes).toBe('half a mess'.length);
  });

  it('emits at <FS> even if the sender leaves out the <CR>', () => {
    const decoder = new MllpDecoder();
    expect(decoder.push(Buffer.from([VT, 0x41, FS]))).toEqual(['A']);
    expect(decoder.push(Buffer.from([CR, VT, 0x42, FS, CR]))).toEqual(['B']);
    expect(decoder.discardedBytes).toBe(0);
  });

  it('does not emit an unfinished frame', () => {
    const decoder = new MllpDecoder();
    expect(decoder.push(Buffer.from([VT, 0x41, 0x42]))).toEqual([]);
    expect(decoder.push(Buffer.from([0x43, FS, CR]))).toEqual(['ABC']);
  });

  it('throws once a frame exceeds the maximum size, even before it ends', () => {
    const decoder = new MllpDecoder(10);
    expect(decoder.push(frame('0123456789'))).toEqual(['0123456789']);
    let caught: unknown;
    try {
      decoder.push(Buffer.concat([Buffer.from([VT]), Buffer.alloc(6, 0x41)]));
      decoder.push(Buffer.alloc(6, 0x41));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({ code: ErrorCode.Hl7Malformed, message: 'MLLP frame exceeds 10 bytes' });
  });
});
