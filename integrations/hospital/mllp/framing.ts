import { DomainError, ErrorCode } from '../../../domain/errors';
import { decodeFrame } from '../hl7/charset';

/**
 * MLLP framing (HL7 v2 transport, release 2): <VT> message <FS><CR>. TCP delivers bytes in
 * arbitrary chunks, so the decoder keeps bytes (not text) between chunks: a character split across
 * two chunks must not be decoded half-way. Each whole frame is decoded by its MSH-18 (hl7/charset);
 * the frame bytes never occur inside the characters of any set we accept.
 */
export const START_BLOCK = 0x0b;
export const END_BLOCK = 0x1c;
export const CARRIAGE_RETURN = 0x0d;

/**
 * 8 MiB: an ORU carrying a report PDF as base64 (4/3 of the PDF's size) fits a PDF of about 6 MB,
 * several times a typical lab report; with the listener's connection caps the worst case held in
 * memory stays bounded (connections × this).
 */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** Wraps a message in MLLP framing: text is sent as UTF-8, bytes (already encoded) as they are. */
export function frame(message: string | Buffer): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from([START_BLOCK]), body, Buffer.from([END_BLOCK, CARRIAGE_RETURN])]);
}

export function frameTooLarge(maxFrameBytes: number): DomainError {
  return new DomainError(ErrorCode.Hl7Malformed, `MLLP frame exceeds ${maxFrameBytes} bytes`, { field: 'MLLP', maxFrameBytes });
}

export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** A frame just ended with <FS>; the <CR> that should follow may arrive in the next chunk. */
  private expectCr = false;
  /** Bytes seen outside any frame, or in frames abandoned by a new start block. */
  discardedBytes = 0;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** A frame has started and not yet ended (the listener's read timeout runs while this holds). */
  get inProgress(): boolean {
    return this.inFrame;
  }

  /** Feeds one chunk; returns the messages completed by it, decoded by their MSH-18, in order. Throws once a frame is too large. */
  push(chunk: Buffer): string[] {
    return this.pushFrames(chunk).map((bytes) => decodeFrame(bytes).text);
  }

  /** As push(), but returns each completed frame's bytes undecoded. */
  pushFrames(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.expectCr) {
        // The message is emitted at <FS> so a sender that omits the <CR> is not left waiting.
        this.expectCr = false;
        if (chunk[i] === CARRIAGE_RETURN) i++;
        continue;
      }
      if (!this.inFrame) {
        const start = chunk.indexOf(START_BLOCK, i);
        if (start === -1) {
          this.discardedBytes += chunk.length - i;
          break;
        }
        this.discardedBytes += start - i;
        this.inFrame = true;
        i = start + 1;
        continue;
      }
      const j = nextControl(chunk, i);
      this.append(chunk.subarray(i, j === -1 ? chunk.length : j));
      if (j === -1) break;
      if (chunk[j] === START_BLOCK) {
        // A new frame began before this one ended: the sender gave up on it. Keep the new one.
        this.discardedBytes += this.size;
        this.parts = [];
        this.size = 0;
        i = j + 1;
        continue;
      }
      out.push(this.finish());
      this.expectCr = true;
      i = j + 1;
    }
    return out;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.maxFrameBytes) {
      this.parts = [];
      this.size = 0;
      this.inFrame = false;
      throw frameTooLarge(this.maxFrameBytes);
    }
    this.parts.push(bytes);
  }

  private finish(): Buffer {
    const message = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
    return message;
  }
}

function nextControl(chunk: Buffer, from: number): number {
  const end = chunk.indexOf(END_BLOCK, from);
  const start = chunk.indexOf(START_BLOCK, from);
  if (end === -1) return start;
  if (start === -1) return end;
  return Math.min(start, end);
}
