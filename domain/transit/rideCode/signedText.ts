import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * The envelope of what the operator's root key signs for gates (issuer key sets, deny-list
 * deltas): `base64url(JSON payload) "." base64url(Ed25519 signature)`, the signature over a
 * context label and the payload, so one kind of document can never pass as another.
 */
export function signText(context: Buffer, payload: unknown, privateKey: KeyObject): string {
  const bytes = Buffer.from(JSON.stringify(payload));
  return `${bytes.toString('base64url')}.${sign(null, Buffer.concat([context, bytes]), privateKey).toString('base64url')}`;
}

/** The payload's JSON once the envelope is well formed and the signature holds; nothing is parsed before. */
export function openSignedText(
  text: string,
  context: Buffer,
  publicKey: KeyObject,
): { ok: true; json: unknown } | { ok: false; reason: 'malformed' | 'bad_signature' } {
  const [p, s, extra] = text.split('.');
  if (!p || !s || extra !== undefined) return { ok: false, reason: 'malformed' };
  const payload = Buffer.from(p, 'base64url');
  const signature = Buffer.from(s, 'base64url');
  if (payload.toString('base64url') !== p || signature.toString('base64url') !== s || signature.length !== 64)
    return { ok: false, reason: 'malformed' };
  if (!verify(null, Buffer.concat([context, payload]), publicKey, signature)) return { ok: false, reason: 'bad_signature' };
  try {
    return { ok: true, json: JSON.parse(payload.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
