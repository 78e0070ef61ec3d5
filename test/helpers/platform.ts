import { randomUUID } from 'node:crypto';
import { hashApiKey } from '../../api/auth/middleware';
import { startApi, type RunningApi } from '../../api/server';
import { startPaymentHarness, type PaymentHarness } from '../../integrations/payment/simulator/harness';
import { startIdentitySimulator } from '../../integrations/identity';
import { startRegistrySimulator, type RegistrySimulator } from '../../integrations/registry';
import { loadConfig, type Env } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { openServices, type Services } from '../../platform/services';
import { startWorker, type RunningWorker } from '../../worker/run';
import { LogCapture } from './logCapture';

/** Fixed test keys: recorded workflow histories are encrypted with the codec key and must replay. */
export const TEST_KEYS = {
  pii: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  piiHmac: 'test-hmac-key-0123456789abcdef',
  codec: 'ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=',
  operatorToken: 'test-operator-token',
  identitySecret: 'test-identity-secret',
  registryKey: 'test-registry-key',
};

export function testEnv(over: Record<string, string> = {}): Env {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_POOL_SIZE: '4',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    API_PORT: '0',
    API_METRICS_PORT: '0',
    // Many workers per run (spawned ones too): one fixed Prometheus port would clash; 0 turns it off.
    WORKER_METRICS_PORT: '0',
    PII_KEYS: `t1:${TEST_KEYS.pii}`,
    PII_ACTIVE_KEY_ID: 't1',
    PII_HMAC_KEY: TEST_KEYS.piiHmac,
    PAYLOAD_CODEC_KEYS: `tc1:${TEST_KEYS.codec}`,
    PAYLOAD_CODEC_ACTIVE_KEY_ID: 'tc1',
    OPERATOR_TOKENS: TEST_KEYS.operatorToken,
    IDENTITY_PROVIDER_SECRET: TEST_KEYS.identitySecret,
    REGISTRY_API_KEY: TEST_KEYS.registryKey,
    // Every simulated hospital connects from 127.0.0.1: the per-address cap is a production limit.
    MLLP_MAX_CONNECTIONS_PER_PEER: '64',
    // The run's test files share one database: nothing delivers another file's webhooks.
    WEBHOOK_DISPATCH_PARTNERS: 'none',
    ...over,
  });
}

export interface TestPlatform {
  /** The first replica's services: seeding, the Temporal client. */
  services: Services;
  /** The first API replica; `apis` holds all of them. */
  api: RunningApi;
  apis: RunningApi[];
  /** The first worker; `workers` holds all of them. */
  worker: RunningWorker;
  workers: RunningWorker[];
  payment: PaymentHarness;
  identitySim: Awaited<ReturnType<typeof startIdentitySimulator>>;
  /** The company registry simulator: nothing is registered until a test registers it. */
  registrySim: RegistrySimulator;
  logs: LogCapture;
  partner: { id: string; apiKey: string };
  stop(): Promise<void>;
}

/**
 * The real platform for one test file: real API (HTTP on an ephemeral port), real worker on its own
 * task queue against the run's Temporal server, real PostgreSQL, the payment simulator behind the
 * real alipay-sdk, the identity simulator over HTTP. Logs are captured so tests can search them.
 */
export async function startTestPlatform(
  opts: {
    payment?: Parameters<typeof startPaymentHarness>[0];
    identityOutcomes?: Parameters<typeof startIdentitySimulator>[0]['outcomes'];
    /** Configuration overrides (limits, TTLs, shorter MLLP timeouts for a drill) for this platform. */
    env?: Record<string, string>;
    /**
     * API and worker replicas, each with its own connection pool and Temporal connection, as separate
     * processes would have. In-process replicas share the event loop, not state: every cross-replica
     * guarantee (inbox claiming, per-user limits, idempotency) goes through PostgreSQL or Temporal.
     */
    replicas?: { api?: number; workers?: number };
  } = {},
): Promise<TestPlatform> {
  const partner = { id: `partner-${randomUUID().slice(0, 8)}`, apiKey: `pk_${randomUUID()}` };
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', name: 'test', destination: logs.stream });
  const payment = await startPaymentHarness({ ...opts.payment, logger });
  const identitySim = await startIdentitySimulator({
    host: '127.0.0.1',
    port: 0,
    sharedSecret: TEST_KEYS.identitySecret,
    ...(opts.identityOutcomes ? { outcomes: opts.identityOutcomes } : {}),
  });
  const registrySim = await startRegistrySimulator({ host: '127.0.0.1', port: 0, apiKey: TEST_KEYS.registryKey });
  const config = testEnv({
    PAYMENT_GATEWAY_URL: payment.sim.gatewayUrl,
    PAYMENT_APP_ID: payment.sim.appId,
    PAYMENT_APP_PRIVATE_KEY: payment.keys.app.privateKeyPem,
    PAYMENT_PLATFORM_PUBLIC_KEY: payment.keys.platform.publicKeyPem,
    IDENTITY_PROVIDER_URL: identitySim.url,
    REGISTRY_URL: registrySim.url,
    // The run's test files share one database: a platform forwards only the taps of operators its own
    // test names (TRANSIT_FORWARD_OPERATORS in `env`), never another file's.
    TRANSIT_FORWARD_OPERATORS: 'none',
    // Likewise a platform delivers only its own partner's webhooks.
    WEBHOOK_DISPATCH_PARTNERS: partner.id,
    ...opts.env,
  });
  const apiCount = opts.replicas?.api ?? 1;
  const workerCount = opts.replicas?.workers ?? 1;
  const apiServices = await Promise.all(
    Array.from({ length: apiCount }, (_, i) =>
      openServices(config, `causeway-test-api${i}`, { logger: logger.child({ replica: `api${i}` }) }),
    ),
  );
  const apis = await Promise.all(apiServices.map((s) => startApi(s, 0, { mllpPort: 0 })));
  const [services, api] = [apiServices[0] as Services, apis[0] as RunningApi];
  const workerServices = [
    services,
    ...(await Promise.all(
      Array.from({ length: workerCount - 1 }, (_, i) =>
        openServices(config, `causeway-test-worker${i + 1}`, { logger: logger.child({ replica: `worker${i + 1}` }) }),
      ),
    )),
  ];
  const workers = await Promise.all(
    workerServices.map((s) => startWorker(s, { workflowBundlePath: process.env.CAUSEWAY_WORKFLOW_BUNDLE, publicBaseUrl: api.url })),
  );
  const worker = workers[0] as RunningWorker;
  await services.db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
    partner.id,
    'Test partner',
    hashApiKey(partner.apiKey),
  ]);
  return {
    services,
    api,
    apis,
    worker,
    workers,
    payment,
    identitySim,
    registrySim,
    logs,
    partner,
    stop: async () => {
      await Promise.all(apis.map((a) => a.close()));
      await Promise.all(workers.map((w) => w.shutdown()));
      await Promise.all([...new Set([...apiServices, ...workerServices])].map((s) => s.close()));
      await payment.stop();
      await identitySim.stop();
      await registrySim.stop();
    },
  };
}
