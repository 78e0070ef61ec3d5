import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Env } from '../../platform/config';

/**
 * Failed console sign-ins, counted per login and per client address in a window (rate-limiter-flexible,
 * in this process like the API's other buckets; see api/http/limits.ts). A login or an address past its
 * count is refused before its password is even checked, until the window ends; a success clears the
 * login's count.
 */
export interface LoginLimiter {
  /** Seconds until a sign-in may be tried again, or 0 when it may be tried now. */
  blockedFor(login: string, ip: string): Promise<number>;
  failed(login: string, ip: string): Promise<void>;
  succeeded(login: string): Promise<void>;
}

export function loginLimiter(
  config: Pick<Env, 'CONSOLE_LOGIN_FAILURES_PER_LOGIN' | 'CONSOLE_LOGIN_FAILURES_PER_IP' | 'CONSOLE_LOGIN_WINDOW_SECONDS'>,
): LoginLimiter {
  const duration = config.CONSOLE_LOGIN_WINDOW_SECONDS;
  const perLogin = new RateLimiterMemory({ keyPrefix: 'console-login', points: config.CONSOLE_LOGIN_FAILURES_PER_LOGIN, duration });
  const perIp = new RateLimiterMemory({ keyPrefix: 'console-ip', points: config.CONSOLE_LOGIN_FAILURES_PER_IP, duration });
  const waitOf = async (limiter: RateLimiterMemory, key: string): Promise<number> => {
    const r = await limiter.get(key);
    return r && r.consumedPoints >= limiter.points ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : 0;
  };
  return {
    async blockedFor(login, ip) {
      return Math.max(await waitOf(perLogin, login), await waitOf(perIp, ip));
    },
    async failed(login, ip) {
      // penalty() counts without throwing when the points are spent, unlike consume().
      await Promise.all([perLogin.penalty(login), perIp.penalty(ip)]);
    },
    async succeeded(login) {
      await perLogin.delete(login);
    },
  };
}
