import http from 'node:http';

/**
 * A small JSON client over node:http with a keep-alive agent, so that the number of connections to
 * the API is a known parameter (a partner app's gateway pools connections; thousands of fresh TCP
 * handshakes would measure the kernel's accept queue rather than the platform).
 */
export interface HttpAnswer<T> {
  status: number;
  body: T;
}

export class JsonHttp {
  private readonly agent: http.Agent;
  /** Several API processes: requests go to each in turn (a load balancer's round-robin). */
  private readonly bases: URL[];
  private next = 0;
  private readonly defaults: Record<string, string>;

  constructor(baseUrl: string | string[], opts: { maxSockets: number; headers?: Record<string, string> }) {
    this.bases = (Array.isArray(baseUrl) ? baseUrl : [baseUrl]).map((u) => new URL(u));
    this.defaults = opts.headers ?? {};
    // maxSockets is the total over every API process (the agent counts per host).
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, Math.ceil(opts.maxSockets / this.bases.length)) });
  }

  request<T = unknown>(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<HttpAnswer<T>> {
    const base = this.bases[this.next++ % this.bases.length] as URL;
    return this.send<T>(base, method, path, opts, true);
  }

  private send<T>(
    base: URL,
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown },
    retry: boolean,
  ): Promise<HttpAnswer<T>> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...this.defaults,
            ...opts.headers,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
            } catch {
              reject(new Error(`${method} ${path}: ${res.statusCode ?? 0} with a body that is not JSON`));
            }
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as idle just as it was reused: the request never
        // reached the server, so sending it once more on a fresh socket is safe (Node's documented pattern).
        if (retry && req.reusedSocket && err.code === 'ECONNRESET') this.send<T>(base, method, path, opts, false).then(resolve, reject);
        else reject(err);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Partner-app headers: API key, and the user the call is made for. */
export function partnerHeaders(apiKey: string, userId?: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, ...(userId ? { 'x-causeway-user': userId } : {}) };
}
