import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Institution requests are signed: HMAC-SHA256 with the institution's secret over
 * `METHOD\nPATH\nTIMESTAMP\nNONCE\nSHA256(body)`. The timestamp must be within the window and the
 * nonce unseen, so a captured request cannot be replayed.
 */
export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

export function canonicalRequest(method: string, path: string, timestamp: string, nonce: string, body: Buffer | string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return [method.toUpperCase(), path, timestamp, nonce, bodyHash].join('\n');
}

export function signRequest(secret: string, method: string, path: string, timestamp: string, nonce: string, body: Buffer | string): string {
  return createHmac('sha256', secret)
    .update(canonicalRequest(method, path, timestamp, nonce, body))
    .digest('hex');
}

export function signatureMatches(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(givenHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function withinWindow(timestampMs: number, nowMs: number, windowMs = SIGNATURE_WINDOW_MS): boolean {
  return Number.isFinite(timestampMs) && Math.abs(nowMs - timestampMs) <= windowMs;
}
