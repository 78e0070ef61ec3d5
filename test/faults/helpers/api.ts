/** A partner app talking to the real HTTP API, as the drills need it. */
export interface ApiAnswer<T = unknown> {
  status: number;
  contentType: string;
  body: T;
  text: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

export class PartnerApi {
  private readonly baseUrls: string[];
  private turn = 0;

  /** With several base URLs (API replicas) requests go to each in turn, as behind a load balancer. */
  constructor(
    baseUrl: string | string[],
    private readonly apiKey: string,
  ) {
    this.baseUrls = Array.isArray(baseUrl) ? baseUrl : [baseUrl];
  }

  private get baseUrl(): string {
    return this.baseUrls[this.turn++ % this.baseUrls.length] as string;
  }

  /** One request; `body` is sent as JSON unless `raw` is given (then sent as is with `contentType`). */
  async call<T = unknown>(
    method: string,
    path: string,
    opts: {
      user?: string | null;
      body?: unknown;
      raw?: string | Buffer;
      contentType?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
    } = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      ...(opts.user ? { 'x-causeway-user': opts.user } : {}),
      ...opts.headers,
    };
    let payload: string | Buffer | undefined;
    if (opts.raw !== undefined) {
      payload = opts.raw;
      headers['content-type'] = opts.contentType ?? 'application/json';
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (text/plain answers); keep the text
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: body as T, text };
  }

  /**
   * A request a patient's app would simply repeat: 5xx answers and network errors are retried until
   * the deadline (the drills break PostgreSQL and workers underneath the API on purpose).
   */
  async callRetrying<T = unknown>(
    method: string,
    path: string,
    opts: Parameters<PartnerApi['call']>[2] = {},
    deadlineMs = 60_000,
  ): Promise<ApiAnswer<T>> {
    const end = Date.now() + deadlineMs;
    let last: unknown;
    while (Date.now() < end) {
      try {
        const res = await this.call<T>(method, path, opts);
        if (res.status < 500) return res;
        last = new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw last instanceof Error ? last : new Error(`${method} ${path} kept failing`);
  }
}
