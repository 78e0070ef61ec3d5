import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { publicKeyFromRaw, rawPublicKey } from './keys';
import type { TrustedIssuerKey } from './verify';

/**
 * Signed issuer key sets: how gates learn new issuing keys without a site visit. The operator's
 * gates trust one long-lived root key; Causeway publishes numbered sets of issuer keys signed by
 * it, and a gate takes a set only when it is newer than the one it holds, so an old set replayed
 * by an attacker cannot bring a retired key back.
 */

const CONTEXT = Buffer.from('causeway issuer key set v1\u0000');

export interface KeySetEntry {
  keyId: string;
  publicKey: KeyObject;
  notBefore?: number;
  notAfter?: number;
}

export interface KeySet {
  operatorId: string;
  version: number;
  keys: KeySetEntry[];
}

const Payload = z.object({
  operatorId: z.string().min(1),
  version: z.number().int().positive(),
  keys: z
    .array(
      z.object({
        keyId: z.string().min(1).max(255),
        publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
        notBefore: z.number().int().optional(),
        notAfter: z.number().int().optional(),
      }),
    )
    .min(1),
});

/** Text form: base64url(JSON payload) "." base64url(Ed25519 signature). */
export function signKeySet(set: KeySet, rootPrivateKey: KeyObject): string {
  const payload = Buffer.from(
    JSON.stringify({
      operatorId: set.operatorId,
      version: set.version,
      keys: set.keys.map((k) => ({
        keyId: k.keyId,
        publicKey: rawPublicKey(k.publicKey).toString('base64url'),
        notBefore: k.notBefore,
        notAfter: k.notAfter,
      })),
    }),
  );
  return `${payload.toString('base64url')}.${sign(null, Buffer.concat([CONTEXT, payload]), rootPrivateKey).toString('base64url')}`;
}

export type KeySetResult =
  | { ok: true; version: number; issuerKeys: Map<string, TrustedIssuerKey> }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_operator' | 'not_newer' };

export function verifyKeySet(text: string, rootPublicKey: KeyObject, gate: { operatorId: string; currentVersion: number }): KeySetResult {
  const [p, s, extra] = text.split('.');
  if (!p || !s || extra !== undefined) return { ok: false, reason: 'malformed' };
  const payload = Buffer.from(p, 'base64url');
  const signature = Buffer.from(s, 'base64url');
  if (payload.toString('base64url') !== p || signature.toString('base64url') !== s || signature.length !== 64)
    return { ok: false, reason: 'malformed' };
  if (!verify(null, Buffer.concat([CONTEXT, payload]), rootPublicKey, signature)) return { ok: false, reason: 'bad_signature' };
  let parsed;
  try {
    parsed = Payload.safeParse(JSON.parse(payload.toString('utf8')));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  if (parsed.data.operatorId !== gate.operatorId) return { ok: false, reason: 'wrong_operator' };
  if (parsed.data.version <= gate.currentVersion) return { ok: false, reason: 'not_newer' };
  const issuerKeys = new Map<string, TrustedIssuerKey>();
  for (const k of parsed.data.keys) {
    let publicKey: KeyObject;
    try {
      publicKey = publicKeyFromRaw(Buffer.from(k.publicKey, 'base64url'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    issuerKeys.set(k.keyId, {
      publicKey,
      ...(k.notBefore !== undefined ? { notBefore: k.notBefore } : {}),
      ...(k.notAfter !== undefined ? { notAfter: k.notAfter } : {}),
    });
  }
  return { ok: true, version: parsed.data.version, issuerKeys };
}
