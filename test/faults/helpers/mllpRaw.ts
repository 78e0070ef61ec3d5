import net from 'node:net';
import { MllpDecoder } from '../../../integrations/hospital/mllp/framing';

export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

/** Bytes between MLLP start and end blocks. */
export function framed(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from([VT]), body, Buffer.from([FS, CR])]);
}

export interface RawExchange {
  /** Every ACK frame the listener wrote back, decoded. */
  acks: string[];
  /** The listener closed or reset the connection. */
  closedByPeer: boolean;
}

/**
 * Writes arbitrary bytes to an MLLP listener on a fresh connection and collects what comes back
 * until `expectAcks` frames arrived, the peer closed, or `quietMs` passed with nothing expected
 * left to come. A hand-rolled socket, so a test can send what no well-behaved client would.
 */
export function exchangeRaw(
  port: number,
  bytes: Buffer,
  opts: { expectAcks: number; quietMs?: number; timeoutMs?: number; localAddress?: string },
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const decoder = new MllpDecoder();
    const acks: string[] = [];
    let closedByPeer = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(overall);
      clearTimeout(quiet);
      socket.destroy();
      resolve({ acks, closedByPeer });
    };
    const overall = setTimeout(() => {
      if (acks.length >= opts.expectAcks) return finish();
      finished = true;
      socket.destroy();
      reject(new Error(`only ${acks.length} of ${opts.expectAcks} ACKs within ${opts.timeoutMs ?? 15_000} ms`));
    }, opts.timeoutMs ?? 15_000);
    // With nothing expected (a truncated frame), wait this long to be sure nothing comes.
    let quiet: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.expectAcks === 0) quiet = setTimeout(finish, opts.quietMs ?? 500);
    });
    socket.on('data', (chunk: Buffer) => {
      acks.push(...decoder.push(chunk));
      if (acks.length >= opts.expectAcks && opts.expectAcks > 0) finish();
    });
    socket.on('error', () => {
      closedByPeer = true;
    });
    socket.on('close', () => {
      closedByPeer = closedByPeer || !finished;
      finish();
    });
  });
}
