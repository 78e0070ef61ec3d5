import type { Request, Response } from 'express';

/** What one server-sent event carries: the patient's place in the queue and the visit's stage. */
export interface QueueSnapshot {
  stage: string;
  status: string;
  position: number | null;
  etaMinutes: number | null;
}

/** Stages after which the queue has nothing more to say. */
const FINAL_STAGES = new Set(['called', 'closed', 'cancelled', 'expired', 'rejected', 'no_show', 'not_seen', 'failed']);

export interface QueueStreamOptions {
  read: () => Promise<QueueSnapshot>;
  /** How often the workflow is queried; an event is sent only when the snapshot changed. */
  pollMs: number;
  /** A comment line keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Server-sent events for the queue screen. The queue lives in a workflow, which has no push to
 * the edge, so the API polls its query and forwards changes; one stream costs one query per poll.
 * The stream ends by itself once the patient is called or the visit is over.
 */
export async function streamQueue(req: Request, res: Response, opts: QueueStreamOptions): Promise<void> {
  let open = true;
  const closed = (): void => {
    open = false;
  };
  req.on('close', closed);
  res.on('close', closed);
  res
    .status(200)
    .set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  let last = '';
  let sinceWrite = 0;
  let id = 0;
  // Headers are sent: from here an error can only end the stream (the client reconnects), never leave it open.
  try {
    await pump();
  } catch {
    if (open) res.write('event: error\ndata: {}\n\n');
  }
  res.end();

  async function pump(): Promise<void> {
    while (open) {
      const snapshot = await opts.read();
      const data = JSON.stringify(snapshot);
      if (data !== last) {
        last = data;
        id += 1;
        res.write(`id: ${id}\nevent: queue\ndata: ${data}\n\n`);
        sinceWrite = 0;
      } else if (sinceWrite >= opts.heartbeatMs) {
        res.write(': keep-alive\n\n');
        sinceWrite = 0;
      }
      if (FINAL_STAGES.has(snapshot.stage)) break;
      await sleep(opts.pollMs);
      sinceWrite += opts.pollMs;
    }
  }
}
