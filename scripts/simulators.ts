import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { startIdentitySimulator } from '../integrations/identity';
import { startRegistrySimulator } from '../integrations/registry';
import { startHisSimulator } from '../integrations/hospital/simulator';
import { generateKeyPairs, startPaymentSimulator } from '../integrations/payment/simulator';
import { createLogger } from '../platform/logger';
import { DEMO_DEPARTMENTS, DEMO_DOCTORS, DEMO_HIS_MLLP_PORT, DEMO_HOSPITAL_ID } from './demo/seed';

/**
 * The institution simulators as their own process (docker compose's `simulators` service): the
 * payment platform (8090), the identity provider (8091), the company registry (8093, nothing registered)
 * and the demo hospital's HIS (MLLP 2576, control API 8092). The payment key pairs are created once in PAYMENT_KEYS_DIR, where the API and
 * worker read the app's private key and the platform's public key.
 */
const SimEnv = z.object({
  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  PAYMENT_KEYS_DIR: z.string().default('data/keys'),
  PAYMENT_APP_ID: z.string().default('2021000000000001'),
  IDENTITY_PROVIDER_SECRET: z.string().default('dev-identity-secret'),
  REGISTRY_API_KEY: z.string().default('dev-registry-key'),
  HIS_TARGET_HOST: z.string().default('127.0.0.1'),
  MLLP_PORT: z.coerce.number().int().default(2575),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

async function paymentKeyFiles(dir: string): Promise<{ appPublic: string; platformPrivate: string }> {
  const file = (name: string) => path.join(dir, name);
  if (!existsSync(file('platform-private.pem'))) {
    mkdirSync(dir, { recursive: true });
    const pairs = await generateKeyPairs();
    writeFileSync(file('app-private.pem'), pairs.app.privateKeyPem, { mode: 0o600 });
    writeFileSync(file('app-public.pem'), pairs.app.publicKeyPem);
    writeFileSync(file('platform-private.pem'), pairs.platform.privateKeyPem, { mode: 0o600 });
    // Written last: its presence tells the API and worker (and the healthcheck) the folder is complete.
    writeFileSync(file('platform-public.pem'), pairs.platform.publicKeyPem);
  }
  return { appPublic: readFileSync(file('app-public.pem'), 'utf8'), platformPrivate: readFileSync(file('platform-private.pem'), 'utf8') };
}

async function main(): Promise<void> {
  const env = SimEnv.parse(process.env);
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'simulators' });
  const host = env.SIMULATOR_HOST;
  const keys = await paymentKeyFiles(env.PAYMENT_KEYS_DIR);
  const payment = await startPaymentSimulator({
    host,
    port: 8090,
    appId: env.PAYMENT_APP_ID,
    appPublicKey: keys.appPublic,
    platformPrivateKey: keys.platformPrivate,
    logger,
  });
  const identity = await startIdentitySimulator({ host, port: 8091, sharedSecret: env.IDENTITY_PROVIDER_SECRET });
  const registry = await startRegistrySimulator({ host, port: 8093, apiKey: env.REGISTRY_API_KEY });
  const his = await startHisSimulator({
    host,
    port: DEMO_HIS_MLLP_PORT,
    causeway: { host: env.HIS_TARGET_HOST, port: env.MLLP_PORT },
    facility: DEMO_HOSPITAL_ID,
    departments: DEMO_DEPARTMENTS.map((d) => ({ id: d.id, name: d.name })),
    doctors: DEMO_DOCTORS.map((d) => ({ id: d.id, name: d.displayName, departmentId: d.departmentId })),
    control: { host, port: 8092 },
    logger,
  });
  logger.info({ payment: payment.gatewayUrl, identity: identity.url, registry: registry.url, hisMllp: his.port }, 'simulators listening');
  const stop = async (): Promise<void> => {
    await his.stop();
    await payment.stop();
    await identity.stop();
    await registry.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`simulators failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
