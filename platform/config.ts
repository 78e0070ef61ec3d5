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

/**
 * Which institutions or partners a process serves: `*` (all), a comma-separated list of ids (to split
 * them between groups of processes), or `none` (an empty list).
 */
function idsOrAll(message: string) {
  return z
    .string()
    .default('*')
    .transform((v): readonly string[] | '*' => {
      const t = v.trim();
      if (t === '*') return '*';
      if (t === 'none' || t === '') return [];
      return t.split(',').map((s) => s.trim());
    })
    .pipe(z.union([z.literal('*'), z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, message))]));
}

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Base URL the payment platform calls back (notifications). */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /**
   * Whose webhook deliveries this process makes: `*` (every partner's), a comma-separated list of
   * partner ids (to split partners between groups of API processes), or `none`.
   */
  WEBHOOK_DISPATCH_PARTNERS: idsOrAll('partner ids, comma-separated'),
  /** A receiver that has not answered by then has failed the attempt (it is tried again later). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Deliveries in flight at once per process. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(32),
  /** An endpoint that fails every attempt for this long is paused (and the partner told). */
  WEBHOOK_PAUSE_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  /** Due retries are looked for this often; new deliveries wake the dispatcher at once by NOTIFY. */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(1_000),
  /** Endpoints must be https:// unless this is on (development and tests deliver to local receivers). */
  WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
  /** Queue event streams are pushed by LISTEN/NOTIFY; only while that connection is down do they re-read this often. */
  QUEUE_STREAM_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Notice streams likewise: pushed by NOTIFY on `user_notices`, re-read this often only while LISTEN is down. */
  NOTICE_STREAM_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** The worker's Prometheus endpoint (SDK runtime telemetry), beside the API's on 9465; port 0 turns it off. */
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
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
  /** A self-hosted cluster's private CA (PEM) and the name on its certificate, when it differs from the address host. */
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
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
  /** Our merchant (seller) id at the payment platform: a notification naming another seller is not ours to apply. */
  PAYMENT_SELLER_ID: z.string().min(1).default('2088000000000001'),
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  IDENTITY_PROVIDER_URL: z.string().url().default('http://127.0.0.1:8091'),
  IDENTITY_PROVIDER_SECRET: z.string().min(1).default('dev-identity-secret'),
  /** How long a registration retries an unreachable identity provider before the user is marked unverified. */
  IDENTITY_VERIFY_WINDOW_MS: z.coerce.number().int().min(1_000).default(86_400_000),

  /** The enterprise credit registry merchants' codes are checked against (integrations/registry). */
  REGISTRY_URL: z.string().url().default('http://127.0.0.1:8093'),
  REGISTRY_API_KEY: z.string().min(1).default('dev-registry-key'),
  /** How long onboarding retries an unreachable registry or identity provider before a person reviews the application. */
  MERCHANT_CHECK_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(3_600),
  /** How long an application waits for an operator's review before it expires (rejected, with that reason). */
  MERCHANT_REVIEW_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .default(7 * 86_400),

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

  /** Where the API serves Prometheus metrics: a listener of its own, never the public API port. */
  API_METRICS_HOST: z.string().default('127.0.0.1'),
  API_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** How long the business figures on /metrics (read from PostgreSQL at scrape time) are reused. */
  METRICS_DB_CACHE_MS: z.coerce.number().int().min(0).default(5_000),

  /** Token buckets (requests per second and burst), per partner app and per partner user. */
  RATE_PARTNER_PER_SECOND: z.coerce.number().int().positive().default(500),
  RATE_PARTNER_BURST: z.coerce.number().int().positive().default(2_000),
  RATE_USER_PER_SECOND: z.coerce.number().int().positive().default(30),
  RATE_USER_BURST: z.coerce.number().int().positive().default(100),
  /** The same, per institution posting signed HL7 or events over HTTP. */
  RATE_INSTITUTION_PER_SECOND: z.coerce.number().int().positive().default(200),
  RATE_INSTITUTION_BURST: z.coerce.number().int().positive().default(1_000),
  /** Slot holds and unpaid bookings one user may have open at once (checked in PostgreSQL). */
  MAX_OPEN_BOOKINGS_PER_USER: z.coerce.number().int().min(1).default(3),
  /**
   * How long an API process reuses a partner-authentication answer (API key and verified user); a
   * revoked key or erased user stops working within this. 0 turns the cache off.
   */
  PARTNER_AUTH_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(2_000),
  /** Queue event streams one user may have open at once (per API process). */
  MAX_QUEUE_STREAMS_PER_USER: z.coerce.number().int().min(1).default(2),
  /** Notice event streams one user, and one partner app in all, may have open at once (per API process). */
  MAX_NOTICE_STREAMS_PER_USER: z.coerce.number().int().min(1).default(2),
  MAX_NOTICE_STREAMS_PER_PARTNER: z.coerce.number().int().min(1).default(10_000),
  /** Announcements one institution may send in any 24 hours (counted in PostgreSQL, across API processes). */
  ANNOUNCEMENTS_PER_DAY: z.coerce.number().int().min(1).max(1_000).default(5),
  /** Smallest group a report may show (cells are 0 or at least this; CMS uses 11). */
  ANALYTICS_MIN_CELL: z.coerce.number().int().min(2).max(1_000).default(11),
  /** A spending-bands report recomputes its year from the ledgers when the last recomputation is older than this. */
  SPENDING_BANDS_MAX_AGE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** Console (`/console`): how long a sign-in lasts, and failed sign-ins allowed per login and per address in a window. */
  CONSOLE_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(8 * 3_600),
  CONSOLE_LOGIN_FAILURES_PER_LOGIN: z.coerce.number().int().min(1).default(5),
  CONSOLE_LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
  CONSOLE_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),

  /** Idempotency keys are forgotten after this; a key still in progress past its lease is taken over by a retry. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).default(120),
  /** Institution nonces are kept this long; it must cover the signature window on both sides (2 × 5 min). */
  REQUEST_NONCE_TTL_SECONDS: z.coerce.number().int().min(600).default(900),
  /** How often expired idempotency keys and nonces are deleted. */
  STORE_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),
  /** A booking still `holding` without a running workflow after this long is released by the orphan reaper. */
  BOOKING_ORPHAN_GRACE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),

  /** Taps one AFC request may carry (the JSON body limit, 256 kB, holds about 800 of the largest). */
  TRANSIT_TAP_BATCH_MAX: z.coerce.number().int().min(1).max(500).default(500),
  /** A tap older than this is refused as absurd (TfL re-prices up to 3 days; this leaves room for an offline gate). */
  TRANSIT_TAP_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** A tap dated further ahead than this (device clock skew) is refused. */
  TRANSIT_TAP_MAX_FUTURE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
  /** Rider-days wait this long after the service day ends before they await settlement (late tap-offs). */
  TRANSIT_SETTLEMENT_DELAY_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3_600),
  /**
   * After a refused day charge, when to try again: seconds after the first refusal, comma-separated
   * (default a day, 10 days, 30 days). Past the last the day is a debt and the rider is denied at the
   * gates until they pay. `none`: the first refusal is a debt.
   */
  TRANSIT_CHARGE_RETRY_SECONDS: z
    .string()
    .default('86400,864000,2592000')
    .transform((v) => (v.trim() === 'none' || v.trim() === '' ? [] : v.split(',').map((s) => Number(s.trim()))))
    .pipe(
      z
        .array(
          z
            .number()
            .int('whole seconds, comma-separated')
            .min(0)
            .max(366 * 86_400),
        )
        .max(10),
    ),
  /** A refused day is also tried again when the rider taps on a later day, at most this often. */
  TRANSIT_RETRY_ON_TAP_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(3_600),
  /** Taps this many days after their service day ended still re-price it upward; later ones only refund. */
  TRANSIT_LATE_CHARGE_DAYS: z.coerce.number().int().min(0).max(30).default(3),
  /** How often each API process forwards stored taps that were not forwarded at once (Temporal down, a crash). */
  TRANSIT_FORWARD_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Taps claimed per forwarding pass: while signals lag behind a burst, a large claim sends each rider-day more taps per signal. */
  TRANSIT_FORWARD_BATCH: z.coerce.number().int().min(1).max(20_000).default(5_000),
  /**
   * Whose taps this process forwards: `*` (every operator), a comma-separated list of operator ids
   * (to split operators between groups of API processes), or `none`.
   */
  TRANSIT_FORWARD_OPERATORS: idsOrAll('operator ids, comma-separated'),
});

/** Settings that are fine on a laptop but must never reach production. */
export const DEV_IDENTITY_SECRET = 'dev-identity-secret';

const Production = EnvSchema.superRefine((env, ctx) => {
  if (env.NODE_ENV !== 'production') return;
  if (!env.IDENTITY_PROVIDER_URL.startsWith('https://'))
    ctx.addIssue({ code: 'custom', path: ['IDENTITY_PROVIDER_URL'], message: 'must be https:// in production' });
  if (env.IDENTITY_PROVIDER_SECRET === DEV_IDENTITY_SECRET || env.IDENTITY_PROVIDER_SECRET.length < 32)
    ctx.addIssue({ code: 'custom', path: ['IDENTITY_PROVIDER_SECRET'], message: 'set a secret of at least 32 characters in production' });
});
export type Env = z.infer<typeof EnvSchema>;

/** Cross-field rules zod's object schema cannot say per field. */
function crossFieldIssues(env: Env): string[] {
  const issues: string[] = [];
  if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
    issues.push('  TEMPORAL_TLS_CERT_PATH / TEMPORAL_TLS_KEY_PATH: set both (mTLS client certificate), or neither');
  }
  const oidc = [env.CODEC_OIDC_ISSUER, env.CODEC_OIDC_AUDIENCE, env.CODEC_OIDC_JWKS_URL].filter((v) => v !== undefined).length;
  if (oidc !== 0 && oidc !== 3) issues.push('  CODEC_OIDC_*: set ISSUER, AUDIENCE and JWKS_URL together, or none of them');
  if (env.NODE_ENV === 'production' && env.CODEC_OIDC_JWKS_URL && !env.CODEC_OIDC_JWKS_URL.startsWith('https:')) {
    issues.push('  CODEC_OIDC_JWKS_URL: must be https in production');
  }
  if (env.NODE_ENV === 'production' && env.WEBHOOK_ALLOW_HTTP === 'true') {
    issues.push('  WEBHOOK_ALLOW_HTTP: partner endpoints must be https in production');
  }
  return issues;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = Production.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cross = crossFieldIssues(parsed.data);
  if (cross.length > 0) throw new ConfigError(`invalid configuration:\n${cross.join('\n')}`);
  return parsed.data;
}
