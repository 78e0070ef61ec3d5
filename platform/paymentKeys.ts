import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from './config';
import { ConfigError } from './config';

/** The app's RSA2 private key and the platform's public key: from PEM variables or a keys folder. */
export function paymentKeys(env: Pick<Env, 'PAYMENT_APP_PRIVATE_KEY' | 'PAYMENT_PLATFORM_PUBLIC_KEY' | 'PAYMENT_KEYS_DIR'>): {
  appPrivateKeyPem: string;
  platformPublicKeyPem: string;
} {
  if (env.PAYMENT_APP_PRIVATE_KEY && env.PAYMENT_PLATFORM_PUBLIC_KEY) {
    return { appPrivateKeyPem: env.PAYMENT_APP_PRIVATE_KEY, platformPublicKeyPem: env.PAYMENT_PLATFORM_PUBLIC_KEY };
  }
  if (env.PAYMENT_KEYS_DIR) {
    return {
      appPrivateKeyPem: readFileSync(path.join(env.PAYMENT_KEYS_DIR, 'app-private.pem'), 'utf8'),
      platformPublicKeyPem: readFileSync(path.join(env.PAYMENT_KEYS_DIR, 'platform-public.pem'), 'utf8'),
    };
  }
  throw new ConfigError('payment keys missing: set PAYMENT_APP_PRIVATE_KEY and PAYMENT_PLATFORM_PUBLIC_KEY, or PAYMENT_KEYS_DIR');
}
