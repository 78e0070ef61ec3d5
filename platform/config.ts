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
  /** The operator-only codec listener (no token; always bound to 127.0.0.1) for the Web UI; off when unset. */
  CODEC_LISTEN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Largest request body on the operator listener (the API's `/codec` keeps the API's 256 KiB). */
  CODEC_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  CODEC_MAX_PAYLOADS: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** The Web UI's OIDC access tokens on `/codec`: all three set, or none (then only operator tokens). */
  CODEC_OIDC_ISSUER: z.string().min(1).optional(),
  CODEC_OIDC_AUDIENCE: z.string().min(1).optional(),
  CODEC_OIDC_JWKS_URL: z.string().url().optional(),
  /** The token claim listing the caller's roles or groups, and the value that makes one an operator. */
  CODEC_OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
  CODEC_OIDC_ROLE: z.string().min(1).default('causeway-operators'),

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
  MLLP_ACK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type Env = z.infer<typeof EnvSchema>;

/** Cross-field rules zod's object schema cannot say per field. */
function crossFieldIssues(env: Env): string[] {
  const issues: string[] = [];
  const oidc = [env.CODEC_OIDC_ISSUER, env.CODEC_OIDC_AUDIENCE, env.CODEC_OIDC_JWKS_URL].filter((v) => v !== undefined).length;
  if (oidc !== 0 && oidc !== 3) issues.push('  CODEC_OIDC_*: set ISSUER, AUDIENCE and JWKS_URL together, or none of them');
  if (env.NODE_ENV === 'production' && env.CODEC_OIDC_JWKS_URL && !env.CODEC_OIDC_JWKS_URL.startsWith('https:')) {
    issues.push('  CODEC_OIDC_JWKS_URL: must be https in production');
  }
  return issues;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cross = crossFieldIssues(parsed.data);
  if (cross.length > 0) throw new ConfigError(`invalid configuration:\n${cross.join('\n')}`);
  return parsed.data;
}
