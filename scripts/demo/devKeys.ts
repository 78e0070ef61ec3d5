import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateKeyPairs } from '../../integrations/payment/simulator';

/**
 * The demo's secrets, generated on first start and kept under data/ (git-ignored) so a restart can
 * still read what it encrypted before. Never used outside the demo; never committed.
 */
export const DevKeys = z.object({
  piiKey: z.string(),
  piiHmacKey: z.string(),
  codecKey: z.string(),
  operatorToken: z.string(),
  partnerApiKey: z.string(),
  hospitalSecret: z.string(),
  identitySecret: z.string(),
  // Data dirs from before the registry existed have no key: the simulator and the platform share this one.
  registryApiKey: z.string().default('dev-registry-key'),
  payment: z.object({
    app: z.object({ privateKeyPem: z.string(), publicKeyPem: z.string() }),
    platform: z.object({ privateKeyPem: z.string(), publicKeyPem: z.string() }),
  }),
});
export type DevKeys = z.infer<typeof DevKeys>;

export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const file = path.join(dataDir, 'dev-keys.json');
  if (existsSync(file)) return DevKeys.parse(JSON.parse(readFileSync(file, 'utf8')));
  mkdirSync(dataDir, { recursive: true });
  const pairs = await generateKeyPairs();
  const keys: DevKeys = {
    piiKey: randomBytes(32).toString('base64'),
    piiHmacKey: randomBytes(32).toString('base64'),
    codecKey: randomBytes(32).toString('base64'),
    operatorToken: `op_${randomBytes(18).toString('base64url')}`,
    partnerApiKey: `pk_demo_${randomBytes(18).toString('base64url')}`,
    hospitalSecret: randomBytes(24).toString('base64url'),
    identitySecret: randomBytes(24).toString('base64url'),
    registryApiKey: randomBytes(24).toString('base64url'),
    payment: {
      app: { privateKeyPem: pairs.app.privateKeyPem, publicKeyPem: pairs.app.publicKeyPem },
      platform: { privateKeyPem: pairs.platform.privateKeyPem, publicKeyPem: pairs.platform.publicKeyPem },
    },
  };
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

/** The environment the platform's config is parsed from in the demo. */
export function demoEnv(keys: DevKeys, over: Record<string, string>): NodeJS.ProcessEnv {
  return {
    // The file under data/logs gets this level; the terminal only warnings and errors (scripts/lib/devLog.ts).
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    PII_KEYS: `d1:${keys.piiKey}`,
    PII_ACTIVE_KEY_ID: 'd1',
    PII_HMAC_KEY: keys.piiHmacKey,
    PAYLOAD_CODEC_KEYS: `c1:${keys.codecKey}`,
    PAYLOAD_CODEC_ACTIVE_KEY_ID: 'c1',
    OPERATOR_TOKENS: keys.operatorToken,
    PAYMENT_APP_PRIVATE_KEY: keys.payment.app.privateKeyPem,
    PAYMENT_PLATFORM_PUBLIC_KEY: keys.payment.platform.publicKeyPem,
    IDENTITY_PROVIDER_SECRET: keys.identitySecret,
    REGISTRY_API_KEY: keys.registryApiKey,
    // The demo's refused charge is retried once after 3 s, then becomes a debt (the default policy takes 30 days).
    TRANSIT_CHARGE_RETRY_SECONDS: '3',
    ...over,
  };
}
