import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { peekHeader, type ParseOptions } from '../hl7/header';
import type { Acknowledgement } from '../hl7/events';
import { parseAck } from '../hl7/parse';
import { assertAccepted } from '../hl7/parse-ack';
import { DEFAULT_MAX_FRAME_BYTES, MllpDecoder, frame } from './framing';

export interface MllpClientTls {
  /** CA that signed the server certificate (self-signed hospital CAs are the norm). */
  ca?: string | Buffer;
  /** Client certificate for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface MllpClientOptions {
  host: string;
  port: number;
  tls?: MllpClientTls;
  /** Budget for one send: connecting (if needed), writing and receiving the ACK. */
  timeoutMs: number;
  maxFrameBytes?: number;
  logger?: Logger;
}

interface Waiter {
  resolve: (ack: string) => void;
  reject: (err: DomainError) => void;
}

interface Connection {
  socket: net.Socket;
  waiter: Waiter | undefined;
}

/**
 * An MLLP sender. MLLP is one message, one ACK, so sends are serialised over a single reused
 * connection. After a timeout or socket error the connection is dropped (a late ACK would
 * otherwise be taken for the next message's) and the next send reconnects.
 */
export class MllpClient {
  private conn: Connection | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: MllpClientOptions) {}

  /** Sends one message and resolves with the raw ACK, whatever its code. */
  send(message: string): Promise<string> {
    const run = () => this.exchange(message);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /**
   * Sends, parses the ACK, checks it acknowledges this message, and throws
   * DomainError(Hl7Rejected, …, { ackCode, errors }) on AE/AR (and CE/CR).
   */
  async sendChecked(message: string, parseOptions?: ParseOptions): Promise<Acknowledgement> {
    const ack = parseAck(await this.send(message), parseOptions);
    const sent = peekHeader(message).controlId;
    if (sent !== undefined && ack.ackedControlId !== '' && ack.ackedControlId !== sent) {
      throw new DomainError(ErrorCode.Hl7Malformed, `ACK acknowledges ${ack.ackedControlId}, expected ${sent}`, { field: 'MSA-2' });
    }
    return assertAccepted(ack);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn || conn.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      conn.socket.once('close', () => resolve());
      conn.socket.end();
      setTimeout(() => conn.socket.destroy(), 1_000).unref();
    });
  }

  private unavailable(reason: string): DomainError {
    return new DomainError(ErrorCode.CounterpartUnavailable, `MLLP ${this.opts.host}:${this.opts.port}: ${reason}`, {
      host: this.opts.host,
      port: this.opts.port,
    });
  }

  private async exchange(message: string): Promise<string> {
    const deadline = Date.now() + this.opts.timeoutMs;
    // A connection the server has half-closed is not reusable even before its 'close' event.
    const current = this.conn;
    const conn = current && !current.socket.destroyed && current.socket.writable ? current : await this.connect(deadline);
    const controlId = peekHeader(message).controlId;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          conn.waiter = undefined;
          this.drop(conn);
          this.opts.logger?.warn({ controlId, timeoutMs: this.opts.timeoutMs }, 'mllp ack timed out');
          reject(this.unavailable(`no ACK within ${this.opts.timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      conn.waiter = {
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      conn.socket.write(frame(message));
    });
  }

  private drop(conn: Connection): void {
    if (this.conn === conn) this.conn = undefined;
    conn.socket.destroy();
  }

  private connect(deadline: number): Promise<Connection> {
    const { host, port, tls: tlsOpts } = this.opts;
    const socket = tlsOpts
      ? tls.connect({ host, port, ...tlsOpts, servername: tlsOpts.servername ?? (net.isIP(host) ? undefined : host) })
      : net.connect({ host, port });
    const conn: Connection = { socket, waiter: undefined };
    const decoder = new MllpDecoder(this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      let acks: string[];
      try {
        acks = decoder.push(chunk);
      } catch (err) {
        conn.waiter?.reject(this.unavailable(err instanceof Error ? err.message : 'bad frame'));
        conn.waiter = undefined;
        this.drop(conn);
        return;
      }
      for (const ack of acks) {
        const waiter = conn.waiter;
        conn.waiter = undefined;
        if (waiter) waiter.resolve(ack);
        else this.opts.logger?.warn({ bytes: Buffer.byteLength(ack) }, 'mllp unsolicited frame dropped');
      }
    });
    socket.on('close', () => {
      if (this.conn === conn) this.conn = undefined;
      conn.waiter?.reject(this.unavailable('connection closed before the ACK arrived'));
      conn.waiter = undefined;
    });
    return new Promise<Connection>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(this.unavailable(reason));
      };
      const timer = setTimeout(() => fail('connect timed out'), Math.max(0, deadline - Date.now()));
      socket.once(tlsOpts ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onConnectError);
        socket.on('error', (err: Error) => this.opts.logger?.debug({ err: err.message }, 'mllp client socket error'));
        socket.setKeepAlive(true, 60_000);
        this.conn = conn;
        resolve(conn);
      });
      const onConnectError = (err: Error) => fail(err.message);
      socket.once('error', onConnectError);
    });
  }
}
