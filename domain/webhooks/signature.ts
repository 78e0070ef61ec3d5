import { createHmac } from 'node:crypto';
import { signatureMatches } from '../requestSignature';

/**
 * Partner webhooks are signed like Stripe's: `Causeway-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`,
 * each v1 an HMAC-SHA256 over `<t>.<raw body>` with one of the endpoint's live secrets (two while a
 * rotation is under way, so a receiver can switch secrets at its own pace). The timestamp binds the
 * body to a moment: a receiver refuses anything outside its tolerance, so a captured delivery cannot
 * be replayed later.
 */
export const SIGNATURE_HEADER = 'causeway-signature';
export const EVENT_ID_HEADER = 'causeway-event-id';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signPayload(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** The header for one delivery attempt: one v1 per live secret, the current one first. */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  return [`t=${timestampSeconds}`, ...secrets.map((s) => `v1=${signPayload(s, timestampSeconds, body)}`)].join(',');
}

export type SignatureCheck = { ok: true; timestampSeconds: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * What a receiver does: parse the header, refuse a timestamp outside the tolerance, and accept when
 * any v1 matches any of its own secrets. Constant-time comparison; never throws on hostile input.
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header || header.length > 2_000) return { ok: false, reason: 'malformed' };
  let t: number | null = null;
  const given: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) given.push(value);
  }
  if (t === null || given.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  for (const secret of secrets) {
    const expected = signPayload(secret, t, body);
    if (given.some((g) => signatureMatches(expected, g))) return { ok: true, timestampSeconds: t };
  }
  return { ok: false, reason: 'mismatch' };
}
