import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdentityQuery } from './provider';
import { identitySignatureValid, signIdentityResponse } from './signing';

/**
 * An identity provider that behaves like one: signed requests only, an answer per person, and a
 * switchable outage. By default everyone matches; tests name who does not.
 */
export interface IdentityOutcomes {
  /** ID numbers (upper-case) answered `mismatch`. */
  mismatchIds?: string[];
  /** Legal names answered `mismatch`. */
  mismatchNames?: string[];
  latencyMs?: number;
}

export interface IdentitySimulator {
  url: string;
  /** Answer 503 to everything while true (the provider is down). */
  setDown(down: boolean): void;
  setMismatch(idNumber: string): void;
  readonly calls: number;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startIdentitySimulator(opts: {
  host?: string;
  port?: number;
  sharedSecret: string;
  outcomes?: IdentityOutcomes;
  /** Signs answers with another secret (tests: an impostor the adapter must not believe). */
  answerSecret?: string;
}): Promise<IdentitySimulator> {
  const mismatchIds = new Set((opts.outcomes?.mismatchIds ?? []).map((s) => s.toUpperCase()));
  const mismatchNames = new Set(opts.outcomes?.mismatchNames ?? []);
  let down = false;
  let calls = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const send = (status: number, payload: object): void => {
        const text = JSON.stringify(payload);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        // Only answers to a correctly signed request are signed (an unsigned request gets an unsigned 401).
        if (signedRequest)
          headers['x-signature'] = signIdentityResponse(
            opts.answerSecret ?? opts.sharedSecret,
            String(req.headers['x-timestamp'] ?? ''),
            String(req.headers['x-signature'] ?? ''),
            text,
          );
        res.writeHead(status, headers).end(text);
      };
      let signedRequest = false;
      if (req.method !== 'POST' || req.url !== '/v1/verify') return send(404, { error: 'not found' });
      calls++;
      if (opts.outcomes?.latencyMs) await new Promise((r) => setTimeout(r, opts.outcomes?.latencyMs));
      if (down) return send(503, { error: 'provider unavailable' });
      if (
        !identitySignatureValid(
          opts.sharedSecret,
          String(req.headers['x-timestamp'] ?? ''),
          body,
          String(req.headers['x-signature'] ?? ''),
          Date.now(),
        )
      ) {
        return send(401, { error: 'bad signature' });
      }
      signedRequest = true;
      let query: IdentityQuery;
      try {
        query = IdentityQuery.parse(JSON.parse(body));
      } catch {
        return send(400, { error: 'bad request' });
      }
      const mismatch = mismatchIds.has(query.idNumber.toUpperCase()) || mismatchNames.has(query.legalName);
      send(200, { result: mismatch ? 'mismatch' : 'match' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    setDown: (d) => {
      down = d;
    },
    setMismatch: (id) => {
      mismatchIds.add(id.toUpperCase());
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
