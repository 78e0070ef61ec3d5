import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryAnswer } from './provider';

/**
 * A registry that behaves like one: an API key, an answer per code, and a switchable outage. The
 * answer depends only on the code: codes a test registered answer what it registered (found or
 * revoked, with the legal representative on record), every other code is not found.
 */
export interface RegistrySimulator {
  url: string;
  register(uscc: string, entry: Exclude<RegistryAnswer, { status: 'not_found' }>): void;
  /** Answer 503 to everything while true (the registry is down). */
  setDown(down: boolean): void;
  readonly calls: number;
  stop(): Promise<void>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export async function startRegistrySimulator(opts: {
  apiKey: string;
  host?: string;
  port?: number;
  entries?: Record<string, Exclude<RegistryAnswer, { status: 'not_found' }>>;
}): Promise<RegistrySimulator> {
  const entries = new Map(Object.entries(opts.entries ?? {}));
  const key = digest(`Bearer ${opts.apiKey}`);
  let down = false;
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const send = (status: number, payload: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const m = /^\/v1\/entities\/([0-9A-Z]{1,32})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) return send(404, { error: 'not found' });
    calls++;
    if (down) return send(503, { error: 'registry unavailable' });
    if (!timingSafeEqual(digest(String(req.headers.authorization ?? '')), key)) return send(401, { error: 'bad key' });
    send(200, { result: entries.get(m[1]!) ?? { status: 'not_found' } });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    register: (uscc, entry) => {
      entries.set(uscc, entry);
    },
    setDown: (d) => {
      down = d;
    },
    get calls() {
      return calls;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
