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

/**
 * Answers are signed too, over the request's own timestamp and signature and the exact answer body:
 * an answer cannot be forged by whoever sits on the path, nor replayed onto another question.
 */
export function signIdentityResponse(secret: string, requestTimestamp: string, requestSignature: string, body: string): string {
  return createHmac('sha256', secret).update(`answer\n${requestTimestamp}\n${requestSignature}\n${body}`).digest('hex');
}

export function identityResponseValid(
  secret: string,
  requestTimestamp: string,
  requestSignature: string,
  body: string,
  given: string,
): boolean {
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const a = Buffer.from(signIdentityResponse(secret, requestTimestamp, requestSignature, body), 'hex');
  const b = Buffer.from(given, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
