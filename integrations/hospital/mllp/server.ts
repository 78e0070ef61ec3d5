import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { DomainError } from '../../../domain/errors';
import { ackForError } from '../hl7/build-ack';
import { peekHeader, type PeekedHeader } from '../hl7/header';
import { normaliseAddress } from '../../../domain/hospital/senderPolicy';
import { decodeFrame, encodeText, type DecodedFrame } from '../hl7/charset';
import { MllpDecoder, frame } from './framing';
import { DEFAULT_MLLP_LIMITS, PeerCounter, type MllpLimits } from './limits';

export interface MllpServerTls {
  key: string | Buffer;
  cert: string | Buffer;
  /**
   * CA that signs hospitals' client certificates. Given, the listener runs mutual TLS: a client
   * without a certificate from this CA fails the handshake, and the certificate's CN (the
   * hospital's institution id) is what the handler's sender check holds MSH-4 to.
   */
  ca?: string | Buffer;
}

export interface MllpServerOptions {
  host: string;
  /** Default 2575 (the registered MLLP port); 0 picks a free port. */
  port?: number;
  tls?: MllpServerTls;
  /** Returns the ACK for one message. A throw becomes an AE/AR ACK built from the error. */
  handler: (message: string, meta: MllpPeer) => Promise<string>;
  logger?: Logger;
  /** Any limit left out takes its DEFAULT_MLLP_LIMITS value. */
  limits?: Partial<MllpLimits>;
  /** @deprecated use limits.maxFrameBytes */
  maxFrameBytes?: number;
  /**
   * Decides at accept time whether a source address may talk to us at all (plain TCP, or TLS
   * without a client certificate). Refused connections are closed before a byte is read.
   */
  allowSource?: (remoteAddress: string) => boolean | Promise<boolean>;
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

interface Connection {
  socket: net.Socket;
  remoteAddress: string;
  peerCertificateCn: string | undefined;
  /** Frames read and decoded, waiting for the handler; each keeps its codec so its ACK is written in it. */
  queue: DecodedFrame[];
  busy: boolean;
  closed: boolean;
}

const errorName = (err: unknown): string => (err instanceof Error ? err.message : 'unknown');

/**
 * An MLLP listener. Messages on one connection are answered strictly in order: the next is not
 * handed to the handler before the previous ACK is written, which is what HL7 senders rely on
 * when they stream a patient's messages one after another.
 *
 * Everything a socket can trigger runs inside error handling: a failure closes that connection
 * (or answers AE/AR), never the process. Connections are capped in total and per source address,
 * refused at accept when the source is not allowed, and closed when idle or stuck mid-frame.
 */
export class MllpServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly peers = new PeerCounter();
  private stopping = false;
  private readonly limits: MllpLimits;

  constructor(private readonly opts: MllpServerOptions) {
    this.limits = {
      ...DEFAULT_MLLP_LIMITS,
      ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {}),
      ...opts.limits,
    };
  }

  async start(): Promise<{ port: number }> {
    if (this.server) throw new Error('MllpServer already started');
    this.stopping = false;
    const onSocket = (socket: net.Socket) => {
      try {
        this.accept(socket);
      } catch (err) {
        this.opts.logger?.error({ err: errorName(err) }, 'mllp accept failed; closing connection');
        socket.destroy();
      }
    };
    const { tls: tlsOpts } = this.opts;
    const server = tlsOpts
      ? tls.createServer(
          {
            key: tlsOpts.key,
            cert: tlsOpts.cert,
            ...(tlsOpts.ca !== undefined ? { ca: tlsOpts.ca, requestCert: true, rejectUnauthorized: true } : {}),
            handshakeTimeout: Math.min(this.limits.readTimeoutMs, 30_000),
          },
          onSocket,
        )
      : net.createServer(onSocket);
    // A kernel-level cap just above ours, which also covers sockets still in their TLS handshake (not yet counted by accept()).
    server.maxConnections = this.limits.maxConnections + this.limits.maxConnectionsPerPeer;
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
    this.opts.logger?.info(
      { host: this.opts.host, port, tls: Boolean(tlsOpts), mutualTls: tlsOpts?.ca !== undefined, limits: this.limits },
      'mllp server listening',
    );
    return { port };
  }

  /** Open connections right now (tests, metrics). */
  get openConnections(): number {
    return this.connections.size;
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

  private refuse(socket: net.Socket, remoteAddress: string, reason: string): void {
    this.opts.logger?.warn({ remoteAddress, reason }, 'mllp connection refused');
    socket.destroy();
  }

  private accept(socket: net.Socket): void {
    socket.on('error', (err) => this.opts.logger?.debug({ remoteAddress: socket.remoteAddress, err: err.message }, 'mllp socket error'));
    const remoteAddress = normaliseAddress(socket.remoteAddress ?? 'unknown');
    if (this.stopping) return void socket.destroy();
    if (this.connections.size >= this.limits.maxConnections) return this.refuse(socket, remoteAddress, 'too many connections');
    if (this.peers.count(remoteAddress) >= this.limits.maxConnectionsPerPeer) {
      return this.refuse(socket, remoteAddress, 'too many connections from this address');
    }
    const conn: Connection = {
      socket,
      remoteAddress,
      peerCertificateCn: verifiedPeerCn(socket),
      queue: [],
      busy: false,
      closed: false,
    };
    this.connections.add(conn);
    this.peers.add(remoteAddress);
    socket.on('close', () => {
      conn.closed = true;
      this.connections.delete(conn);
      this.peers.remove(remoteAddress);
    });
    socket.setTimeout(this.limits.idleTimeoutMs, () => {
      this.opts.logger?.info({ remoteAddress }, 'mllp connection idle; closing');
      socket.destroy();
    });
    const { allowSource } = this.opts;
    // A verified client certificate identifies the sender wherever it connects from.
    if (conn.peerCertificateCn !== undefined || allowSource === undefined) return this.read(conn);
    Promise.resolve()
      .then(() => allowSource(remoteAddress))
      .then(
        (allowed) => (allowed ? this.read(conn) : this.refuse(socket, remoteAddress, 'source address is not registered for any hospital')),
        (err: unknown) => this.refuse(socket, remoteAddress, `source check failed: ${errorName(err)}`),
      )
      .catch((err: unknown) => {
        this.opts.logger?.error({ remoteAddress, err: errorName(err) }, 'mllp connection setup failed; closing');
        socket.destroy();
      });
  }

  /** Starts reading frames from an admitted connection. */
  private read(conn: Connection): void {
    const { socket } = conn;
    if (conn.closed || this.stopping) return void socket.destroy();
    const decoder = new MllpDecoder(this.limits.maxFrameBytes);
    let frameTimer: NodeJS.Timeout | undefined;
    const stopFrameTimer = () => {
      clearTimeout(frameTimer);
      frameTimer = undefined;
    };
    socket.on('close', stopFrameTimer);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (this.stopping) return;
        const messages = decoder.pushFrames(chunk).map(decodeFrame);
        // A frame left open must finish within the read timeout: a peer cannot hold a buffer forever.
        if (!decoder.inProgress) stopFrameTimer();
        else if (frameTimer === undefined) {
          frameTimer = setTimeout(() => {
            this.opts.logger?.warn({ remoteAddress: conn.remoteAddress }, 'mllp frame not completed in time; closing connection');
            socket.destroy();
          }, this.limits.readTimeoutMs);
        }
        if (messages.length === 0) return;
        conn.queue.push(...messages);
        if (conn.queue.length >= this.limits.maxQueuedFrames) socket.pause();
        this.pump(conn).catch((err: unknown) => {
          this.opts.logger?.error({ remoteAddress: conn.remoteAddress, err: errorName(err) }, 'mllp connection failed; closing');
          socket.destroy();
        });
      } catch (err) {
        this.opts.logger?.warn({ remoteAddress: conn.remoteAddress, err: errorName(err) }, 'mllp frame rejected; closing connection');
        stopFrameTimer();
        socket.destroy();
      }
    });
  }

  private async pump(conn: Connection): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    try {
      for (let next = conn.queue.shift(); next !== undefined && !conn.closed; next = conn.queue.shift()) {
        const { text: message, codec } = next;
        if (conn.socket.isPaused() && conn.queue.length < this.limits.maxQueuedFrames && !this.stopping) conn.socket.resume();
        const ack = await this.handle(message, {
          remoteAddress: conn.remoteAddress,
          ...(conn.peerCertificateCn ? { peerCertificateCn: conn.peerCertificateCn } : {}),
        });
        if (conn.closed) break;
        await new Promise<void>((resolve) => conn.socket.write(frame(encodeText(ack, codec)), () => resolve()));
      }
    } finally {
      conn.busy = false;
      if (this.stopping) conn.socket.end();
    }
  }

  private async handle(message: string, peer: MllpPeer): Promise<string> {
    const { remoteAddress } = peer;
    const started = Date.now();
    let header: PeekedHeader = {};
    try {
      header = peekHeader(message);
      const ack = await this.opts.handler(message, peer);
      this.opts.logger?.info({ ...logOf(header, remoteAddress, message), ms: Date.now() - started }, 'mllp message handled');
      return ack;
    } catch (err) {
      // Only the code and our own (PII-free) reason are logged; unknown errors by name alone.
      const reason =
        err instanceof DomainError ? { code: err.code, reason: err.message } : { error: err instanceof Error ? err.name : 'unknown' };
      this.opts.logger?.warn(
        { ...logOf(header, remoteAddress, message), ...reason, ms: Date.now() - started },
        'mllp handler failed; answering with a rejecting ACK',
      );
      return ackForError(header, err);
    }
  }
}

function logOf(header: PeekedHeader, remoteAddress: string, message: string) {
  return { remoteAddress, controlId: header.controlId, type: header.messageType, trigger: header.triggerEvent, bytes: message.length };
}
