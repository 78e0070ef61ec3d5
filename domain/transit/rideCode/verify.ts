import { verify, type KeyObject } from 'node:crypto';
import { Malformed } from './bytes';
import { CODE_CONTEXT, CREDENTIAL_CONTEXT, decodeCode, decodeCredential, fromQrText } from './format';
import { publicKeyFromRaw } from './keys';

/**
 * The gate's check of a ride code, offline and without I/O: everything it needs is passed in.
 * Order matters: nothing in a code is believed before the issuer signature, nothing the device
 * adds before the device signature, and the replay cache records a code only once it passed
 * every other check, so a forged code cannot burn a rider's counter.
 */

export interface TrustedIssuerKey {
  publicKey: KeyObject;
  /** Optional bounds: a retired key stops working, a new one can be published ahead of use. */
  notBefore?: number;
  notAfter?: number;
}

export interface ReplayCache {
  /** Records (pseudonym, counter) until `untilMs`; false when it was already recorded. */
  firstSeen(pseudonym: string, counter: number, untilMs: number): boolean;
}

export interface VerifyCodeInput {
  code: Buffer | string;
  /** The operator whose gate this is. */
  operatorId: string;
  issuerKeys: ReadonlyMap<string, TrustedIssuerKey>;
  denyList: { has(pseudonym: string): boolean };
  replayCache: ReplayCache;
  now: number;
  /** Tolerated gate/phone clock difference. */
  skewSeconds?: number;
  /** Longest code validity a gate accepts, whatever the app wrote. */
  maxCodeValiditySeconds?: number;
}

export type DenyReason =
  | 'malformed'
  | 'unknown_key'
  | 'key_not_in_force'
  | 'bad_issuer_signature'
  | 'wrong_operator'
  | 'credential_not_yet_valid'
  | 'credential_expired'
  | 'bad_device_signature'
  | 'code_validity_too_long'
  | 'code_from_the_future'
  | 'code_expired'
  | 'denied'
  | 'replayed';

export type GateDecision =
  | { allow: true; pseudonym: string; riderCategoryId: string; counter: number; keyId: string }
  | { allow: false; reason: DenyReason; pseudonym?: string };

export const DEFAULT_SKEW_SECONDS = 30;
export const DEFAULT_MAX_CODE_VALIDITY_SECONDS = 120;

export function verifyCode(input: VerifyCodeInput): GateDecision {
  const skewMs = (input.skewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;
  let code;
  let credential;
  try {
    code = decodeCode(typeof input.code === 'string' ? fromQrText(input.code) : input.code);
    credential = decodeCredential(code.credentialBytes);
  } catch (err) {
    if (err instanceof Malformed) return { allow: false, reason: 'malformed' };
    throw err;
  }

  const key = input.issuerKeys.get(credential.keyId);
  if (!key) return { allow: false, reason: 'unknown_key' };
  if ((key.notBefore !== undefined && input.now < key.notBefore) || (key.notAfter !== undefined && input.now > key.notAfter)) {
    return { allow: false, reason: 'key_not_in_force' };
  }
  if (!verify(null, Buffer.concat([CREDENTIAL_CONTEXT, credential.signed]), key.publicKey, credential.signature)) {
    return { allow: false, reason: 'bad_issuer_signature' };
  }
  const { pseudonym } = credential;
  if (credential.operatorId !== input.operatorId) return { allow: false, reason: 'wrong_operator', pseudonym };
  if (input.now + skewMs < credential.validFromSeconds * 1000) return { allow: false, reason: 'credential_not_yet_valid', pseudonym };
  if (input.now - skewMs > credential.validUntilSeconds * 1000) return { allow: false, reason: 'credential_expired', pseudonym };

  let deviceKey: KeyObject;
  try {
    deviceKey = publicKeyFromRaw(credential.devicePublicKey);
  } catch {
    return { allow: false, reason: 'bad_device_signature', pseudonym };
  }
  if (!verify(null, Buffer.concat([CODE_CONTEXT, code.signed]), deviceKey, code.signature)) {
    return { allow: false, reason: 'bad_device_signature', pseudonym };
  }
  if (code.validitySeconds > (input.maxCodeValiditySeconds ?? DEFAULT_MAX_CODE_VALIDITY_SECONDS)) {
    return { allow: false, reason: 'code_validity_too_long', pseudonym };
  }
  const issuedAt = code.timestampSeconds * 1000;
  const expiresAt = issuedAt + code.validitySeconds * 1000;
  if (input.now + skewMs < issuedAt) return { allow: false, reason: 'code_from_the_future', pseudonym };
  if (input.now - skewMs > expiresAt) return { allow: false, reason: 'code_expired', pseudonym };

  if (input.denyList.has(pseudonym)) return { allow: false, reason: 'denied', pseudonym };
  if (!input.replayCache.firstSeen(pseudonym, code.counter, expiresAt + skewMs)) return { allow: false, reason: 'replayed', pseudonym };
  return { allow: true, pseudonym, riderCategoryId: credential.riderCategoryId, counter: code.counter, keyId: credential.keyId };
}
