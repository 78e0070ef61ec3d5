import 'reflect-metadata';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../db/dataSource';
import { HttpIdentityProvider } from '../integrations/identity';
import type { IdentityProvider } from '../integrations/identity/provider';
import { HttpCompanyRegistry, type CompanyRegistry } from '../integrations/registry';
import { createAlipayProvider } from '../integrations/payment/alipay';
import type { PaymentProvider } from '../integrations/payment/provider';
import type { Env } from './config';
import { createLogger } from './logger';
import { createPayloadCodec } from './payloadCodec';
import { PiiCipher } from './pii';
import { paymentKeys } from './paymentKeys';
import { connectClient } from './temporal/connection';

/** The adapters and connections one process needs, built from config once at boot. */
export interface Services {
  config: Env;
  logger: Logger;
  db: DataSource;
  pii: PiiCipher;
  codec: PayloadCodec;
  payments: PaymentProvider;
  identity: IdentityProvider;
  registry: CompanyRegistry;
  temporal: Client;
  metrics: Registry;
  close(): Promise<void>;
}

export async function openServices(config: Env, name: string, overrides: { logger?: Logger } = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger({ level: config.LOG_LEVEL, name });
  const db = createDataSource(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE, applicationName: name });
  await db.initialize();
  const pii = new PiiCipher({ keys: config.PII_KEYS, activeKeyId: config.PII_ACTIVE_KEY_ID, hmacKey: config.PII_HMAC_KEY });
  const codec = createPayloadCodec({ keys: config.PAYLOAD_CODEC_KEYS, activeKeyId: config.PAYLOAD_CODEC_ACTIVE_KEY_ID });
  const payments = createAlipayProvider(
    {
      appId: config.PAYMENT_APP_ID,
      gatewayUrl: config.PAYMENT_GATEWAY_URL,
      timeoutMs: config.PAYMENT_TIMEOUT_MS,
      ...paymentKeys(config),
    },
    logger.child({ adapter: 'payment' }),
  );
  const identity = new HttpIdentityProvider({ baseUrl: config.IDENTITY_PROVIDER_URL, sharedSecret: config.IDENTITY_PROVIDER_SECRET });
  const registry = new HttpCompanyRegistry({ baseUrl: config.REGISTRY_URL, apiKey: config.REGISTRY_API_KEY });
  const temporal = await connectClient(config, codec);
  const metrics = new Registry();
  metrics.setDefaultLabels({ svc: name });
  collectDefaultMetrics({ register: metrics });
  return {
    config,
    logger,
    db,
    pii,
    codec,
    payments,
    identity,
    registry,
    temporal,
    metrics,
    close: async () => {
      await temporal.connection.close();
      await db.destroy();
    },
  };
}
