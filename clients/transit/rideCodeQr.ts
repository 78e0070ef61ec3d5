import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import QRCode from 'qrcode';
import { makeCode, rawPublicKey, toQrText, type MakeCodeInput } from '../../domain/transit/rideCode';

/**
 * The partner app's side of ride codes: a device key pair (the public half is what Causeway
 * certifies), and a fresh level-2 code rendered as a QR image. The signing is the pure
 * `makeCode`; this module only adds the QR rendering, so the gate reads exactly `toQrText(code)`.
 */

/** Medium error correction (about 15 % of the symbol can be lost): phone screens are clean but glare happens. */
export const QR_ERROR_CORRECTION = 'M' as const;

export interface DeviceKeyPair {
  privateKey: KeyObject;
  /** Raw Ed25519 public key, base64url: the body of `POST /v1/transit/:operatorId/credential`. */
  publicKey: string;
}

export function newDeviceKey(): DeviceKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: rawPublicKey(publicKey).toString('base64url') };
}

export interface RideCodeQr {
  /** What the QR symbol holds: base64url of the signed code. */
  text: string;
  png: Buffer;
}

/** Makes a code now and renders it. `scale` pixels per module; the quiet zone is the standard four modules. */
export async function rideCodeQr(input: MakeCodeInput, opts: { scale?: number } = {}): Promise<RideCodeQr> {
  const text = toQrText(makeCode(input));
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: QR_ERROR_CORRECTION, margin: 4, scale: opts.scale ?? 4 });
  return { text, png };
}

/** The symbol the PNG draws (module matrix and segments), for checks and for apps that draw it themselves. */
export function rideCodeSymbol(text: string): QRCode.QRCode {
  return QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
}
