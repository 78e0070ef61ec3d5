import { z } from 'zod';

/**
 * All configuration, parsed once at boot from the environment. Nothing else reads process.env:
 * entry points call `loadConfig()` and pass the result (or the slice a module needs) down.
 */
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `k1:BASE64,k2:BASE64` → { k1: BASE64, k2: BASE64 } */
const keyList = z.string().transform((raw, ctx) => {
  const out: Record<string, string> = {};
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const idx = part.indexOf(':');
    if (idx <= 0) {
      ctx.addIssue({ code: 'custom', message: 'expected keyId:base64key[,keyId:base64key]' });
      return z.NEVER;
    }
    out[part.slice(0, idx)] = part.slice(idx + 1);
  }
  return out;
});

const csv = z.string().transform((raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Base URL the payment platform calls back (notifications). */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** How often a queue event stream queries the workflow (one query per open stream per poll). */
  QUEUE_STREAM_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),

  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/causeway'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('causeway'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_UI_URL: z.string().default('http://localhost:8233'),
  /** A prebuilt workflow bundle (bundleWorkflowCode output); the worker bundles at start when absent. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),

  PII_KEYS: keyList,
  PII_ACTIVE_KEY_ID: z.string().min(1),
  PII_HMAC_KEY: z.string().min(16),
  PAYLOAD_CODEC_KEYS: keyList,
  PAYLOAD_CODEC_ACTIVE_KEY_ID: z.string().min(1),
  OPERATOR_TOKENS: csv.default([]),
  CODEC_CORS_ORIGINS: csv.default(['http://localhost:8233']),

  PAYMENT_GATEWAY_URL: z.string().url().default('http://127.0.0.1:8090/gateway.do'),
  PAYMENT_APP_ID: z.string().default('2021000000000001'),
  PAYMENT_APP_PRIVATE_KEY: z.string().optional(),
  PAYMENT_PLATFORM_PUBLIC_KEY: z.string().optional(),
  /** Alternative to the two PEM variables: a folder holding app-private.pem and platform-public.pem. */
  PAYMENT_KEYS_DIR: z.string().optional(),
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  IDENTITY_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8091'),
  IDENTITY_PROVIDER_SECRET: z.string().default('dev-identity-secret'),

  MLLP_HOST: z.string().default('127.0.0.1'),
  MLLP_PORT: z.coerce.number().int().min(0).max(65535).default(2575),
  MLLP_TLS_KEY_PATH: z.string().optional(),
  MLLP_TLS_CERT_PATH: z.string().optional(),
  /** CA of hospitals' client certificates: set, MLLP runs mutual TLS and a certificate's CN names the hospital. */
  MLLP_TLS_CA_PATH: z.string().optional(),
  /** Largest MLLP frame (8 MiB fits an ORU with a ~6 MB PDF as base64). */
  MLLP_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(64 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  MLLP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(64),
  MLLP_MAX_CONNECTIONS_PER_PEER: z.coerce.number().int().min(1).max(1_000).default(8),
  /** A connection silent this long is closed. */
  MLLP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** A frame must be complete this long after its start block. */
  MLLP_READ_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long the set of registered hospital source addresses is cached by the accept-time check. */
  MLLP_SOURCE_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
  MLLP_ACK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
