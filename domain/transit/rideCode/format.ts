import { ByteReader, ByteWriter, Malformed } from './bytes';

/**
 * The two signature levels of a ride code, modelled on the UIC dynamic barcode:
 * - level 1, the credential: the issuer certifies a device key for a rider pseudonym, one
 *   operator and at most 24 h;
 * - level 2, the code: the device signs the credential with a timestamp and a counter, so the
 *   app makes fresh codes offline every few seconds.
 * Times are whole seconds since the epoch (u32). Signatures are Ed25519 (64 bytes) over a context
 * label and the bytes before them, so a signature of one level can never pass as the other.
 */

export const FORMAT_VERSION = 1;
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;
export const CREDENTIAL_CONTEXT = Buffer.from('causeway ride credential v1\u0000');
export const CODE_CONTEXT = Buffer.from('causeway ride code v1\u0000');
export const MAX_CREDENTIAL_SECONDS = 24 * 3600;

export interface CredentialClaims {
  keyId: string;
  operatorId: string;
  /** Rotating pseudonym: never the user id or the user's reference. */
  pseudonym: string;
  riderCategoryId: string;
  /** Raw Ed25519 public key of the rider's device. */
  devicePublicKey: Buffer;
  validFromSeconds: number;
  validUntilSeconds: number;
}

export interface DecodedCredential extends CredentialClaims {
  /** The bytes the issuer signed (context excluded). */
  signed: Buffer;
  signature: Buffer;
}

export interface CodeClaims {
  timestampSeconds: number;
  validitySeconds: number;
  counter: number;
}

export interface DecodedCode extends CodeClaims {
  credentialBytes: Buffer;
  signed: Buffer;
  signature: Buffer;
}

export function encodeCredentialBody(c: CredentialClaims): Buffer {
  if (c.devicePublicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('device public key must be 32 raw bytes');
  return new ByteWriter()
    .u8(FORMAT_VERSION)
    .str(c.keyId)
    .str(c.operatorId)
    .str(c.pseudonym)
    .str(c.riderCategoryId)
    .raw(c.devicePublicKey)
    .u32(c.validFromSeconds)
    .u32(c.validUntilSeconds)
    .bytes();
}

export function decodeCredential(bytes: Buffer): DecodedCredential {
  const r = new ByteReader(bytes);
  if (r.u8() !== FORMAT_VERSION) throw new Malformed('unknown credential version');
  const keyId = r.str();
  const operatorId = r.str();
  const pseudonym = r.str();
  const riderCategoryId = r.str();
  const devicePublicKey = r.raw(PUBLIC_KEY_BYTES);
  const validFromSeconds = r.u32();
  const validUntilSeconds = r.u32();
  const signed = bytes.subarray(0, r.offset());
  const signature = r.raw(SIGNATURE_BYTES);
  r.end();
  return { keyId, operatorId, pseudonym, riderCategoryId, devicePublicKey, validFromSeconds, validUntilSeconds, signed, signature };
}

export function encodeCodeBody(credentialBytes: Buffer, c: CodeClaims): Buffer {
  return new ByteWriter().u8(FORMAT_VERSION).blob(credentialBytes).u32(c.timestampSeconds).u16(c.validitySeconds).u32(c.counter).bytes();
}

export function decodeCode(bytes: Buffer): DecodedCode {
  const r = new ByteReader(bytes);
  if (r.u8() !== FORMAT_VERSION) throw new Malformed('unknown code version');
  const credentialBytes = r.blob();
  const timestampSeconds = r.u32();
  const validitySeconds = r.u16();
  const counter = r.u32();
  const signed = bytes.subarray(0, r.offset());
  const signature = r.raw(SIGNATURE_BYTES);
  r.end();
  return { credentialBytes, timestampSeconds, validitySeconds, counter, signed, signature };
}

/** QR codes carry text well; base64url has no characters that need escaping. */
export function toQrText(code: Buffer): string {
  return code.toString('base64url');
}

export function fromQrText(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Malformed('not base64url');
  const bytes = Buffer.from(text, 'base64url');
  // Non-canonical base64url (stray low bits in the last character) would make two texts one code.
  if (bytes.toString('base64url') !== text) throw new Malformed('not canonical base64url');
  return bytes;
}
