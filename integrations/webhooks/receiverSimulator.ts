import { createServer, type ServerResponse } from 'node:http';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifySignature } from '../../domain/webhooks/signature';

/** How the simulated partner answers: healthy, failing (500), hanging past the sender's timeout, slow, or gone (410). */
export type ReceiverMode = { kind: 'ok' } | { kind: 'fail' } | { kind: 'hang' } | { kind: 'slow'; ms: number } | { kind: 'gone' };

export interface ReceivedEvent {
  id: string;
  type: string;
  sequence: number;
  userId: string;
  data: Record<string, unknown>;
}

export interface ReceiverSimulator {
  url: string;
  mode: ReceiverMode;
  /** The partner's live secrets (it verifies with any of them). */
  secrets: string[];
  /** Events applied once each, in arrival order (the de-duplicating receiver). */
  applied: ReceivedEvent[];
  /** Every signed request that arrived, duplicates included. */
  received: number;
  /** Requests refused for a bad or stale signature. */
  refused: number;
  /** Deliveries whose sequence was not the next one for their user (out of order or a gap). */
  outOfOrder: number;
  close(): Promise<void>;
}

/**
 * A partner's webhook receiver for tests, the demo and the bench. It does what the README tells
 * partners to do: verify the signature against its secrets within the tolerance (by its own clock),
 * de-duplicate by event id, and check each user's sequence. Even in 'hang' mode it applies the event
 * before hanging, the case that makes de-duplication necessary.
 */
export async function startReceiverSimulator(
  opts: {
    secrets?: string[];
    now?: () => number;
    port?: number;
    mode?: ReceiverMode;
    /** Called as each new event is applied (the bench times arrivals). */
    onApplied?: (e: ReceivedEvent) => void;
  } = {},
): Promise<ReceiverSimulator> {
  const now = opts.now ?? Date.now;
  const seen = new Set<string>();
  const lastSeq = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const sim: ReceiverSimulator = {
    url: '',
    mode: opts.mode ?? { kind: 'ok' },
    secrets: opts.secrets ?? [],
    applied: [],
    received: 0,
    refused: 0,
    outOfOrder: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_000_000) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (sim.mode.kind === 'fail') return void res.writeHead(500).end();
      if (sim.mode.kind === 'gone') return void res.writeHead(410).end();
      const check = verifySignature(req.headers[SIGNATURE_HEADER] as string | undefined, body, sim.secrets, Math.floor(now() / 1000));
      if (!check.ok) {
        sim.refused += 1;
        return void res.writeHead(400).end(check.reason);
      }
      sim.received += 1;
      const event = JSON.parse(body) as ReceivedEvent;
      if (req.headers[EVENT_ID_HEADER] !== event.id) {
        sim.refused += 1;
        return void res.writeHead(400).end('event id header mismatch');
      }
      if (!seen.has(event.id)) {
        seen.add(event.id);
        const prev = lastSeq.get(event.userId) ?? 0;
        if (event.sequence !== prev + 1) sim.outOfOrder += 1;
        lastSeq.set(event.userId, Math.max(prev, event.sequence));
        sim.applied.push(event);
        opts.onApplied?.(event);
      }
      const mode = sim.mode;
      if (mode.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (mode.kind === 'slow') return void setTimeout(() => res.writeHead(204).end(), mode.ms);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  const address = server.address();
  sim.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  return sim;
}
