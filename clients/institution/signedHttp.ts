import { randomUUID } from 'node:crypto';
import { signRequest } from '../../domain/requestSignature';

export interface SignedHttpOptions {
  baseUrl: string;
  institutionId: string;
  /** The institution's HMAC secret, as registered with Causeway. */
  secret: string;
  timeoutMs?: number;
}

export interface SignedResponse<T> {
  status: number;
  body: T;
}

/**
 * An institution's side of Causeway's signed HTTP (domain/requestSignature.ts): every request
 * carries the institution id, a timestamp, a single-use nonce and the HMAC over them and the body.
 * Simulators and institution adapters use it; a hospital, operator or merchant would do the same.
 */
export class InstitutionHttpClient {
  constructor(private readonly opts: SignedHttpOptions) {}

  post<T>(path: string, body: unknown): Promise<SignedResponse<T>> {
    return this.send<T>('POST', path, JSON.stringify(body));
  }

  get<T>(path: string): Promise<SignedResponse<T>> {
    return this.send<T>('GET', path, '');
  }

  private async send<T>(method: string, path: string, raw: string): Promise<SignedResponse<T>> {
    const timestamp = String(Date.now());
    const nonce = randomUUID();
    const res = await fetch(`${this.opts.baseUrl}${path}`, {
      method,
      headers: {
        ...(raw ? { 'content-type': 'application/json' } : {}),
        'x-causeway-institution': this.opts.institutionId,
        'x-causeway-timestamp': timestamp,
        'x-causeway-nonce': nonce,
        'x-causeway-signature': signRequest(this.opts.secret, method, path.split('?')[0] ?? path, timestamp, nonce, raw),
      },
      ...(raw ? { body: raw } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
