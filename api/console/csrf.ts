import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * CSRF defences of the console's forms, both checked on every POST:
 *  - a synchronizer token: the session's secret, rendered into each form and compared here in
 *    constant time (a page on another site cannot read it);
 *  - the Origin header, which browsers send with every POST: it must name this host.
 * SameSite=Strict on the session cookie is a third layer, not relied on alone.
 */
/** Constant-time equality of two tokens (hashed first, so their lengths do not leak either). */
export function tokensMatch(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || expected.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * The request's Origin names the host it was sent to (scheme http or https). A missing Origin is
 * refused: every browser sends one on a POST, and the console has no non-browser POST clients.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.host.toLowerCase() === host.toLowerCase() && url.pathname === '/' && origin.toLowerCase() === `${url.protocol}//${url.host}`;
}
