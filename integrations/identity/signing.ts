import { createHmac, timingSafeEqual } from 'node:crypto';

/** Requests to the identity provider are HMAC-signed over the timestamp and the exact body. */
export function signIdentityRequest(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${body}`).digest('hex');
}

export function identitySignatureValid(secret: string, timestamp: string, body: string, given: string, nowMs: number): boolean {
  if (!/^\d{10,16}$/.test(timestamp) || Math.abs(nowMs - Number(timestamp)) > 5 * 60_000) return false;
  const a = Buffer.from(signIdentityRequest(secret, timestamp, body), 'hex');
  const b = Buffer.from(given, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
