import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Env } from '../../platform/config';

/**
 * Request-rate limits. `RateLimiter` is the seam: today an in-process bucket per key (each API process
 * counts on its own, so N processes allow N times the rate); for many processes, build the same shape
 * on rate-limiter-flexible's RateLimiterPostgres or RateLimiterRedis, which share the counters.
 */
export interface RateLimiter {
  /** Takes one token for `key`; throws a `rate_limited` DomainError (with `retryAfterSeconds`) when none is left. */
  take(key: string): Promise<void>;
}

export function rateLimited(message: string, retryAfterSeconds: number): DomainError {
  return new DomainError(ErrorCode.RateLimited, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
}

/**
 * A token bucket from rate-limiter-flexible: `perSecond` tokens refill every second, and a burst
 * allowance of `burst` more refills over `burst / perSecond` seconds.
 */
export function bucketLimiter(name: string, perSecond: number, burst: number): RateLimiter {
  const steady = new RateLimiterMemory({ keyPrefix: name, points: perSecond, duration: 1 });
  const extra = new RateLimiterMemory({ keyPrefix: `${name}-burst`, points: burst, duration: Math.max(1, Math.ceil(burst / perSecond)) });
  const limiter = new BurstyRateLimiter(steady, extra);
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw rateLimited(`too many requests for this ${name}`, err.msBeforeNext / 1000);
        throw err;
      }
    },
  };
}

/**
 * Open things counted per key (queue event streams). Per process, like the streams themselves: a
 * stream lives in the process that serves it and ends with it.
 */
export class ConcurrencyLimiter {
  private readonly open = new Map<string, number>();
  constructor(readonly max: number) {}

  /** A release function, or undefined when `key` already holds `max`. */
  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}

/** Every limit a partner request is subject to, built once per API process from configuration. */
export interface PartnerLimits {
  partner: RateLimiter;
  user: RateLimiter;
  /** Signed institution requests, per institution (after the signature is verified). */
  institution: RateLimiter;
  queueStreams: ConcurrencyLimiter;
  /** Notice event streams, per user and per partner app. */
  noticeStreams: { perUser: ConcurrencyLimiter; perPartner: ConcurrencyLimiter };
  maxOpenBookings: number;
  /** How long partnerAuth keeps a verified answer (0: not at all); see api/auth/middleware.ts. */
  authCacheMs: number;
}

export function partnerLimits(config: Env): PartnerLimits {
  return {
    partner: bucketLimiter('partner', config.RATE_PARTNER_PER_SECOND, config.RATE_PARTNER_BURST),
    user: bucketLimiter('user', config.RATE_USER_PER_SECOND, config.RATE_USER_BURST),
    institution: bucketLimiter('institution', config.RATE_INSTITUTION_PER_SECOND, config.RATE_INSTITUTION_BURST),
    queueStreams: new ConcurrencyLimiter(config.MAX_QUEUE_STREAMS_PER_USER),
    noticeStreams: {
      perUser: new ConcurrencyLimiter(config.MAX_NOTICE_STREAMS_PER_USER),
      perPartner: new ConcurrencyLimiter(config.MAX_NOTICE_STREAMS_PER_PARTNER),
    },
    maxOpenBookings: config.MAX_OPEN_BOOKINGS_PER_USER,
    authCacheMs: config.PARTNER_AUTH_CACHE_MS,
  };
}
