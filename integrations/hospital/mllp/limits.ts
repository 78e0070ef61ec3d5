import { DEFAULT_MAX_FRAME_BYTES } from './framing';

/**
 * What one MLLP listener grants its peers. Every number bounds memory or sockets a peer can hold:
 * frames × queued frames × connections is the most the listener ever buffers.
 */
export interface MllpLimits {
  /** Largest frame accepted; a larger one closes the connection. */
  maxFrameBytes: number;
  /** Open connections at once, from everyone. */
  maxConnections: number;
  /** Open connections at once from one source address. */
  maxConnectionsPerPeer: number;
  /** Received-but-unanswered messages per connection before the socket stops reading. */
  maxQueuedFrames: number;
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** A frame must be complete this long after its start block. */
  readTimeoutMs: number;
}

export const DEFAULT_MLLP_LIMITS: Readonly<MllpLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxConnections: 64,
  maxConnectionsPerPeer: 8,
  maxQueuedFrames: 4,
  // HIS engines keep one connection open all day and send when something happens; 10 minutes of
  // silence costs them one reconnect, and an abandoned socket is gone soon enough.
  idleTimeoutMs: 10 * 60_000,
  readTimeoutMs: 30_000,
});

/** Counts open connections per source address. */
export class PeerCounter {
  private readonly counts = new Map<string, number>();

  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  add(address: string): void {
    this.counts.set(address, this.count(address) + 1);
  }

  remove(address: string): void {
    const n = this.count(address) - 1;
    if (n <= 0) this.counts.delete(address);
    else this.counts.set(address, n);
  }
}
