import { sign, type KeyObject } from 'node:crypto';
import {
  CODE_CONTEXT,
  CREDENTIAL_CONTEXT,
  MAX_CREDENTIAL_SECONDS,
  encodeCodeBody,
  encodeCredentialBody,
  type CredentialClaims,
} from './format';
import { rawPublicKey } from './keys';

/**
 * The signing sides: the issuer certifies a device key (level 1); the partner app makes codes
 * with it (level 2). Both are deterministic for given inputs (Ed25519 signatures are).
 */

export interface IssueCredentialInput extends Omit<CredentialClaims, 'devicePublicKey' | 'validFromSeconds' | 'validUntilSeconds'> {
  issuerPrivateKey: KeyObject;
  devicePublicKey: KeyObject | Buffer;
  validFrom: number;
  validUntil: number;
}

export function issueCredential(input: IssueCredentialInput): Buffer {
  const validFromSeconds = Math.floor(input.validFrom / 1000);
  const validUntilSeconds = Math.floor(input.validUntil / 1000);
  if (validUntilSeconds <= validFromSeconds || validUntilSeconds - validFromSeconds > MAX_CREDENTIAL_SECONDS) {
    throw new RangeError('a credential is valid for more than 0 s and at most 24 h');
  }
  const body = encodeCredentialBody({
    keyId: input.keyId,
    operatorId: input.operatorId,
    pseudonym: input.pseudonym,
    riderCategoryId: input.riderCategoryId,
    devicePublicKey: Buffer.isBuffer(input.devicePublicKey) ? input.devicePublicKey : rawPublicKey(input.devicePublicKey),
    validFromSeconds,
    validUntilSeconds,
  });
  return Buffer.concat([body, sign(null, Buffer.concat([CREDENTIAL_CONTEXT, body]), input.issuerPrivateKey)]);
}

export const DEFAULT_CODE_VALIDITY_SECONDS = 60;

export interface MakeCodeInput {
  credential: Buffer;
  devicePrivateKey: KeyObject;
  now: number;
  /** Strictly increasing per credential; the app persists it. */
  counter: number;
  validitySeconds?: number;
}

export function makeCode(input: MakeCodeInput): Buffer {
  const body = encodeCodeBody(input.credential, {
    timestampSeconds: Math.floor(input.now / 1000),
    validitySeconds: input.validitySeconds ?? DEFAULT_CODE_VALIDITY_SECONDS,
    counter: input.counter,
  });
  return Buffer.concat([body, sign(null, Buffer.concat([CODE_CONTEXT, body]), input.devicePrivateKey)]);
}
