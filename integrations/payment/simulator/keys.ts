import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

export interface PemKeyPair {
  /** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
  privateKeyPem: string;
  /** SPKI PEM ("-----BEGIN PUBLIC KEY-----"). */
  publicKeyPem: string;
}

/** The app signs requests with `app`; the platform signs answers and notifications with `platform`. */
export interface SimulatorKeyPairs {
  app: PemKeyPair;
  platform: PemKeyPair;
}

async function rsa2048(): Promise<PemKeyPair> {
  const { privateKey, publicKey } = await generate('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** Fresh keys for every simulator start, so no key is ever committed or shared between runs. */
export async function generateKeyPairs(): Promise<SimulatorKeyPairs> {
  const [app, platform] = await Promise.all([rsa2048(), rsa2048()]);
  return { app, platform };
}
