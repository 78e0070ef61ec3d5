import { Client } from 'pg';

/** Called when a row a subscriber watches may have changed (or when changes may have been missed). */
export type ChangeListener = () => void;

export interface ChangeFeedOptions {
  url: string;
  /** The NOTIFY channels this process may subscribe to; each is LISTENed once on the shared connection. */
  channels: readonly string[];
  applicationName?: string;
  /** Wait before reconnecting after the connection drops; doubled up to 30 s while it keeps failing. */
  reconnectMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * One PostgreSQL LISTEN connection per process, fanned out to in-process subscribers by (channel,
 * payload). A thousand idle event streams then cost one idle socket and a map entry each, instead of
 * a query per stream per poll. It connects on the first subscription, so a process that never
 * streams holds no extra connection. Notifications are hints, not data: a subscriber re-reads the
 * read model, so a dropped connection only needs every subscriber woken once it is back.
 */
export class ChangeFeed {
  private readonly subscribers = new Map<string, Set<ChangeListener>>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private closed = false;
  /** True while the LISTEN connection is up: a subscriber may then wait for changes instead of polling. */
  listening = false;

  constructor(private readonly opts: ChangeFeedOptions) {
    this.backoffMs = opts.reconnectMs ?? 500;
  }

  /** Calls `listener` whenever `channel` carries `key`; returns the unsubscribe function. */
  subscribe(channel: string, key: string, listener: ChangeListener): () => void {
    if (!this.opts.channels.includes(channel)) throw new Error(`change feed does not listen on ${channel}`);
    const k = subscriptionKey(channel, key);
    let set = this.subscribers.get(k);
    if (!set) this.subscribers.set(k, (set = new Set()));
    set.add(listener);
    this.ensureConnected();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.subscribers.get(k) === set) this.subscribers.delete(k);
    };
  }

  /** How many (channel, key) pairs are watched; for metrics and tests. */
  get watchedKeys(): number {
    return this.subscribers.size;
  }

  /** Resolves once the LISTEN connection is up (connecting it if needed). */
  async ready(): Promise<void> {
    this.ensureConnected();
    while (!this.listening) {
      if (this.closed) throw new Error('change feed closed');
      await (this.connecting ?? new Promise((resolve) => setTimeout(resolve, 50)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private ensureConnected(): void {
    if (this.closed || this.client || this.connecting || this.retryTimer) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = null;
    });
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.opts.url,
      application_name: this.opts.applicationName ?? 'causeway-listen',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client.on('notification', (n) => this.dispatch(n.channel, n.payload ?? ''));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      for (const channel of this.opts.channels) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listening = true;
    this.backoffMs = this.opts.reconnectMs ?? 500;
    // Whatever changed before LISTEN took effect (or while the connection was down) went unseen:
    // everyone re-reads once.
    this.wakeAll();
  }

  private lost(client: Client, err: unknown): void {
    if (err) this.opts.onError?.(err);
    if (this.client !== null && this.client !== client) return; // a stale client's late event
    this.client = null;
    this.listening = false;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (this.closed || this.retryTimer) return;
    // Subscribers fall back to polling meanwhile (see `listening`); wake them so they notice.
    this.wakeAll();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.subscribers.size > 0) this.ensureConnected();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private dispatch(channel: string, payload: string): void {
    const set = this.subscribers.get(subscriptionKey(channel, payload));
    if (!set) return;
    for (const listener of [...set]) listener();
  }

  private wakeAll(): void {
    for (const set of [...this.subscribers.values()]) for (const listener of [...set]) listener();
  }
}

function subscriptionKey(channel: string, key: string): string {
  return `${channel}\u0000${key}`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
