import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { DomainError } from '../../../domain/errors';
import { ackForError } from '../hl7/build-ack';
import { peekHeader } from '../hl7/header';
import { DEFAULT_MAX_FRAME_BYTES, MllpDecoder, frame } from './framing';

export interface MllpServerTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA for client certificates, with requestCert for mutual TLS. */
  ca?: string | Buffer;
  requestCert?: boolean;
}

export interface MllpServerOptions {
  host: string;
  /** Default 2575 (the registered MLLP port); 0 picks a free port. */
  port?: number;
  tls?: MllpServerTls;
  /** Returns the ACK for one message. A throw becomes an AE/AR ACK built from the error. */
  handler: (message: string, meta: MllpPeer) => Promise<string>;
  logger?: Logger;
  maxFrameBytes?: number;
  /** How long stop() waits for in-flight messages before cutting connections. Default 10 s. */
  drainTimeoutMs?: number;
}

/** Who is on the other end of a connection, for the handler's sender check. */
export interface MllpPeer {
  remoteAddress: string;
  /** CN of a client certificate the TLS layer verified (mutual TLS); absent otherwise. */
  peerCertificateCn?: string;
}

/** The CN of a verified client certificate, if the socket is TLS and the certificate was authorised. */
function verifiedPeerCn(socket: net.Socket): string | undefined {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

/** Above this many decoded-but-unanswered messages the socket stops reading until we catch up. */
const HIGH_WATER = 32;

interface Connection {
  socket: net.Socket;
  remoteAddress: string;
  peerCertificateCn: string | undefined;
  queue: string[];
  busy: boolean;
  closed: boolean;
}

/**
 * An MLLP listener. Messages on one connection are answered strictly in order: the next is not
 * handed to the handler before the previous ACK is written, which is what HL7 senders rely on
 * when they stream a patient's messages one after another.
 */
export class MllpServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private stopping = false;

  constructor(private readonly opts: MllpServerOptions) {}

  async start(): Promise<{ port: number }> {
    if (this.server) throw new Error('MllpServer already started');
    this.stopping = false;
    const onSocket = (socket: net.Socket) => this.accept(socket);
    const { tls: tlsOpts } = this.opts;
    const server = tlsOpts ? tls.createServer({ ...tlsOpts }, onSocket) : net.createServer(onSocket);
    // A failed TLS handshake is the peer's problem; it must not take the listener down.
    server.on('tlsClientError', (err: Error) => this.opts.logger?.warn({ err: err.message }, 'mllp tls handshake failed'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 2575, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) => this.opts.logger?.error({ err: err.message }, 'mllp server error'));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (this.opts.port ?? 2575);
    this.opts.logger?.info({ host: this.opts.host, port, tls: Boolean(tlsOpts) }, 'mllp server listening');
    return { port };
  }

  /**
   * Stops accepting connections, lets every message already received be answered, then closes
   * connections. Frames arriving after stop() are not read: unacknowledged, the sender resends them.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of this.connections) if (!conn.busy) conn.socket.end();
    const timeout = this.opts.drainTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeout)));
    if ((await Promise.race([closed, expired])) === 'expired') {
      this.opts.logger?.warn({ open: this.connections.size }, 'mllp drain timed out; closing connections');
      for (const conn of this.connections) conn.socket.destroy();
      await closed;
    }
    clearTimeout(timer);
    this.server = undefined;
  }

  private accept(socket: net.Socket): void {
    const conn: Connection = {
      socket,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      peerCertificateCn: verifiedPeerCn(socket),
      queue: [],
      busy: false,
      closed: false,
    };
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.connections.add(conn);
    socket.setKeepAlive(true, 60_000);
    const decoder = new MllpDecoder(this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      if (this.stopping) return;
      let messages: string[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        this.opts.logger?.warn(
          { remoteAddress: conn.remoteAddress, err: err instanceof Error ? err.message : 'unknown' },
          'mllp frame rejected; closing connection',
        );
        socket.destroy();
        return;
      }
      if (messages.length === 0) return;
      conn.queue.push(...messages);
      if (conn.queue.length >= HIGH_WATER) socket.pause();
      void this.pump(conn);
    });
    socket.on('error', (err) => this.opts.logger?.debug({ remoteAddress: conn.remoteAddress, err: err.message }, 'mllp socket error'));
    socket.on('close', () => {
      conn.closed = true;
      this.connections.delete(conn);
    });
  }

  private async pump(conn: Connection): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    try {
      for (let message = conn.queue.shift(); message !== undefined && !conn.closed; message = conn.queue.shift()) {
        if (conn.socket.isPaused() && conn.queue.length < HIGH_WATER / 2 && !this.stopping) conn.socket.resume();
        const ack = await this.handle(message, {
          remoteAddress: conn.remoteAddress,
          ...(conn.peerCertificateCn ? { peerCertificateCn: conn.peerCertificateCn } : {}),
        });
        if (conn.closed) break;
        await new Promise<void>((resolve) => conn.socket.write(frame(ack), () => resolve()));
      }
    } finally {
      conn.busy = false;
      if (this.stopping) conn.socket.end();
    }
  }

  private async handle(message: string, peer: MllpPeer): Promise<string> {
    const { remoteAddress } = peer;
    const started = Date.now();
    const header = peekHeader(message);
    const log = {
      remoteAddress,
      controlId: header.controlId,
      type: header.messageType,
      trigger: header.triggerEvent,
      bytes: Buffer.byteLength(message),
    };
    try {
      const ack = await this.opts.handler(message, peer);
      this.opts.logger?.info({ ...log, ms: Date.now() - started }, 'mllp message handled');
      return ack;
    } catch (err) {
      // Only the code and our own (PII-free) reason are logged; unknown errors by name alone.
      const reason =
        err instanceof DomainError ? { code: err.code, reason: err.message } : { error: err instanceof Error ? err.name : 'unknown' };
      this.opts.logger?.warn({ ...log, ...reason, ms: Date.now() - started }, 'mllp handler failed; answering with a rejecting ACK');
      return ackForError(header, err);
    }
  }
}
