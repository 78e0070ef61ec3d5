import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { openSignedText, signText } from './signedText';
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

/** In the root-signed envelope of signedText.ts. */
export function signKeySet(set: KeySet, rootPrivateKey: KeyObject): string {
  return signText(
    CONTEXT,
    {
      operatorId: set.operatorId,
      version: set.version,
      keys: set.keys.map((k) => ({
        keyId: k.keyId,
        publicKey: rawPublicKey(k.publicKey).toString('base64url'),
        notBefore: k.notBefore,
        notAfter: k.notAfter,
      })),
    },
    rootPrivateKey,
  );
}

export type KeySetResult =
  | { ok: true; version: number; issuerKeys: Map<string, TrustedIssuerKey> }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_operator' | 'not_newer' };

export function verifyKeySet(text: string, rootPublicKey: KeyObject, gate: { operatorId: string; currentVersion: number }): KeySetResult {
  const opened = openSignedText(text, CONTEXT, rootPublicKey);
  if (!opened.ok) return opened;
  const parsed = Payload.safeParse(opened.json);
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
