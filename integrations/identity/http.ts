import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { IdentityAnswer, type IdentityProvider, type IdentityQuery } from './provider';
import { identityResponseValid, signIdentityRequest } from './signing';

const Response = z.object({ result: IdentityAnswer });

/** The identity provider over HTTP (the simulator speaks the same protocol). */
export class HttpIdentityProvider implements IdentityProvider {
  constructor(private readonly opts: { baseUrl: string; sharedSecret: string; timeoutMs?: number }) {}

  async verify(query: IdentityQuery): Promise<IdentityAnswer> {
    const body = JSON.stringify(query);
    const timestamp = String(Date.now());
    const signature = signIdentityRequest(this.opts.sharedSecret, timestamp, body);
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.opts.baseUrl}/v1/verify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-timestamp': timestamp,
          'x-signature': signature,
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
    const text = await res.text().catch(() => '');
    // Nothing is decided on an answer the provider did not sign for this very request; treated as
    // "provider unavailable" (retried), never as a verdict.
    if (!identityResponseValid(this.opts.sharedSecret, timestamp, signature, text, res.headers.get('x-signature') ?? ''))
      throw new DomainError(ErrorCode.IdentityProviderDown, 'identity provider answer is not signed correctly');
    const parsed = Response.safeParse(parseJson(text));
    if (!parsed.success) throw new DomainError(ErrorCode.IdentityProviderDown, 'identity provider answered an unexpected body');
    return parsed.data.result;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
