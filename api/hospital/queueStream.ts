import type { Request, Response } from 'express';
import type { ChangeFeed } from '../../db/changeFeed';
import { TERMINAL_VISIT_STAGES } from '../../workflows/hospital/visit/stages';

/** What one server-sent event carries: the patient's place in the queue and the visit's stage. */
export interface QueueSnapshot {
  stage: string;
  status: string;
  position: number | null;
  etaMinutes: number | null;
}

/** Stages after which the queue has nothing more to say: the patient was called, or the visit is over. */
const FINAL_STAGES: ReadonlySet<string> = new Set<string>(['called', ...TERMINAL_VISIT_STAGES]);

/** One read-model row the stream depends on, and the NOTIFY channel and key that announce its changes. */
export interface StreamSource<T> {
  channel: string;
  key: string;
  load: () => Promise<T>;
}

export interface QueueStreamOptions<A, B> {
  changes: ChangeFeed;
  sources: [StreamSource<A>, StreamSource<B>];
  /** Pure: what the patient sees from the loaded rows at `nowMs` (the ETA moves with the clock). */
  render: (a: A, b: B, nowMs: number) => QueueSnapshot;
  now: () => number;
  /** How often the loaded rows are rendered again with the current time; no I/O. */
  refreshMs: number;
  /** While the change feed is down, how often the rows are re-read instead. */
  pollMs: number;
  /** A comment line keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

/**
 * Server-sent events for the queue screen, pushed from read-model changes: each source is read
 * once, then again only when PostgreSQL announces a change to it (LISTEN/NOTIFY, fanned out by the
 * process's ChangeFeed), so an idle stream costs a timer and no queries. Between changes the rows
 * are re-rendered with the current time, because the ETA runs down while a consultation goes on.
 * An event is sent only when what the patient sees changed; the stream ends once they are called.
 */
export async function streamQueue<A, B>(req: Request, res: Response, opts: QueueStreamOptions<A, B>): Promise<void> {
  let open = true;
  let wake: (() => void) | null = null;
  const dirty = [true, true];
  const rouse = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const closed = (): void => {
    open = false;
    rouse();
  };
  req.on('close', closed);
  res.on('close', closed);
  const unsubscribe = opts.sources.map((s, i) =>
    opts.changes.subscribe(s.channel, s.key, () => {
      dirty[i] = true;
      rouse();
    }),
  );
  res
    .status(200)
    .set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  // Headers are sent: from here an error can only end the stream (the client reconnects), never leave it open.
  try {
    await pump();
  } catch {
    if (open) res.write('event: error\ndata: {}\n\n');
  } finally {
    for (const u of unsubscribe) u();
  }
  res.end();

  async function pump(): Promise<void> {
    const [sa, sb] = opts.sources;
    let a = undefined as A;
    let b = undefined as B;
    let last = '';
    let id = 0;
    let lastWrite = opts.now();
    while (open) {
      // A change announced while loading marks its source dirty again, so the next turn re-reads it.
      if (dirty[0]) {
        dirty[0] = false;
        a = await sa.load();
      }
      if (dirty[1]) {
        dirty[1] = false;
        b = await sb.load();
      }
      const snapshot = opts.render(a, b, opts.now());
      const data = JSON.stringify(snapshot);
      if (data !== last) {
        last = data;
        id += 1;
        res.write(`id: ${id}\nevent: queue\ndata: ${data}\n\n`);
        lastWrite = opts.now();
      } else if (opts.now() - lastWrite >= opts.heartbeatMs) {
        res.write(': keep-alive\n\n');
        lastWrite = opts.now();
      }
      if (FINAL_STAGES.has(snapshot.stage)) break;
      if (!open || dirty[0] || dirty[1]) continue;
      const listening = opts.changes.listening;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(listening ? opts.refreshMs : opts.pollMs, opts.heartbeatMs));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      // Without the feed nothing announces changes: re-read on every turn until it is back.
      if (!opts.changes.listening) dirty.fill(true);
    }
  }
}
