import type { Request, Response } from 'express';
import type { ChangeFeed } from '../../db/changeFeed';

/** One notice as the stream sends it: its id is the event id a reconnecting client sends back. */
export interface StreamedNotice {
  noticeId: string;
}

export interface NoticeStreamOptions<N extends StreamedNotice> {
  changes: ChangeFeed;
  channel: string;
  /** The NOTIFY payload that concerns this user (their pseudonymous ref). */
  key: string;
  /** The last notice id the client has: only newer ones are sent. */
  after: string;
  /** Up to `batch` notices after an id, oldest first, read from PostgreSQL. */
  load: (after: string, batch: number) => Promise<N[]>;
  batch: number;
  /** While the change feed is down, how often PostgreSQL is re-read instead. */
  pollMs: number;
  /** A comment line keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  now: () => number;
}

/**
 * Server-sent events for the user's service window: the notices newer than the client's last event
 * id, then each new one as PostgreSQL announces it (NOTIFY on the user's ref, fanned out by the
 * process's ChangeFeed). A hint is never trusted for content: the stream re-reads after its cursor,
 * so a lost, late or forged hint costs at most one query. The stream does not end by itself.
 */
export async function streamNotices<N extends StreamedNotice>(req: Request, res: Response, opts: NoticeStreamOptions<N>): Promise<void> {
  let open = true;
  let dirty = true;
  let wake: (() => void) | null = null;
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
  // Subscribed before the first read, so a notice written meanwhile still wakes the loop.
  const unsubscribe = opts.changes.subscribe(opts.channel, opts.key, () => {
    dirty = true;
    rouse();
  });
  res
    .status(200)
    .set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  try {
    await pump();
  } catch {
    if (open) res.write('event: error\ndata: {}\n\n');
  } finally {
    unsubscribe();
  }
  res.end();

  async function pump(): Promise<void> {
    let cursor = opts.after;
    let lastWrite = opts.now();
    while (open) {
      if (dirty) {
        dirty = false;
        const notices = await opts.load(cursor, opts.batch);
        for (const n of notices) {
          if (!open) return;
          // A slow reader far behind is fed no faster than it reads, not buffered in this process.
          if (!res.write(`id: ${n.noticeId}\nevent: notice\ndata: ${JSON.stringify(n)}\n\n`)) await drained(res);
          cursor = n.noticeId;
          lastWrite = opts.now();
        }
        // A full batch may have more behind it: read on before waiting.
        if (notices.length === opts.batch) {
          dirty = true;
          continue;
        }
      }
      if (opts.now() - lastWrite >= opts.heartbeatMs) {
        res.write(': keep-alive\n\n');
        lastWrite = opts.now();
      }
      if (!open || dirty) continue;
      const untilBeat = Math.max(1, opts.heartbeatMs - (opts.now() - lastWrite));
      const listening = opts.changes.listening;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, listening ? untilBeat : Math.min(opts.pollMs, untilBeat));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      // Without the feed nothing announces new notices: re-read on every turn until it is back.
      if (!opts.changes.listening) dirty = true;
    }
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
