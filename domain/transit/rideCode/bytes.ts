/**
 * A tiny big-endian writer and a strict reader for the ride code's binary layout. The reader
 * refuses anything short, long or oversized, so a tampered length can only fail to parse, never
 * shift fields into place.
 */

export class ByteWriter {
  private readonly parts: Buffer[] = [];

  u8(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }

  u16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.parts.push(b);
    return this;
  }

  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }

  /** A short string: one length byte, then UTF-8. */
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length === 0 || b.length > 255) throw new RangeError('ride code string fields are 1 to 255 bytes');
    return this.u8(b.length).raw(b);
  }

  /** Bytes with a two-byte length. */
  blob(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError('ride code blob too long');
    return this.u16(b.length).raw(b);
  }

  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class Malformed extends Error {}

export class ByteReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  private take(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new Malformed('truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  str(): string {
    const len = this.u8();
    if (len === 0) throw new Malformed('empty string field');
    const b = this.take(len);
    const s = b.toString('utf8');
    // Reject bytes that are not valid UTF-8: a lossy decode would let two encodings mean one string.
    if (!Buffer.from(s, 'utf8').equals(b)) throw new Malformed('string field is not UTF-8');
    return s;
  }

  blob(): Buffer {
    return this.take(this.u16());
  }

  raw(n: number): Buffer {
    return this.take(n);
  }

  offset(): number {
    return this.at;
  }

  end(): void {
    if (this.at !== this.buf.length) throw new Malformed('trailing bytes');
  }
}
