import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { IdentityAnswer, type IdentityProvider, type IdentityQuery } from './provider';
import { signIdentityRequest } from './signing';

const Response = z.object({ result: IdentityAnswer });

/** The identity provider over HTTP (the simulator speaks the same protocol). */
export class HttpIdentityProvider implements IdentityProvider {
  constructor(private readonly opts: { baseUrl: string; sharedSecret: string; timeoutMs?: number }) {}

  async verify(query: IdentityQuery): Promise<IdentityAnswer> {
    const body = JSON.stringify(query);
    const timestamp = String(Date.now());
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.opts.baseUrl}/v1/verify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-timestamp': timestamp,
          'x-signature': signIdentityRequest(this.opts.sharedSecret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
      });
    } catch (err) {
      throw new DomainError(
        ErrorCode.IdentityProviderDown,
        `identity provider unreachable: ${err instanceof Error ? err.message : 'error'}`,
      );
    }
    if (res.status >= 500 || res.status === 429)
      throw new DomainError(ErrorCode.IdentityProviderDown, `identity provider answered ${res.status}`);
    if (res.status === 401) throw new DomainError(ErrorCode.InvalidSignature, 'identity provider refused our signature');
    if (!res.ok) throw new DomainError(ErrorCode.IdentityProviderDown, `identity provider answered ${res.status}`);
    const parsed = Response.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new DomainError(ErrorCode.IdentityProviderDown, 'identity provider answered an unexpected body');
    return parsed.data.result;
  }
}
