import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { RegistryAnswer, type CompanyRegistry } from './provider';

const Body = z.object({ result: RegistryAnswer });

/** The registry over HTTP (the simulator speaks the same protocol): `GET /v1/entities/{uscc}` with an API key. */
export class HttpCompanyRegistry implements CompanyRegistry {
  constructor(private readonly opts: { baseUrl: string; apiKey: string; timeoutMs?: number }) {}

  async lookup(uscc: string): Promise<RegistryAnswer> {
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.opts.baseUrl}/v1/entities/${encodeURIComponent(uscc)}`, {
        headers: { authorization: `Bearer ${this.opts.apiKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
      });
    } catch (err) {
      throw new DomainError(ErrorCode.CounterpartUnavailable, `registry unreachable: ${err instanceof Error ? err.message : 'error'}`);
    }
    // A refused key is our misconfiguration, not the merchant's fault: retried (and alerting) like an outage.
    if (!res.ok) throw new DomainError(ErrorCode.CounterpartUnavailable, `registry answered ${res.status}`);
    const parsed = Body.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new DomainError(ErrorCode.CounterpartUnavailable, 'registry answered an unexpected body');
    return parsed.data.result;
  }
}
