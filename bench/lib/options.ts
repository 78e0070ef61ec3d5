import path from 'node:path';
import { z } from 'zod';

/**
 * Run sizes and knobs. Each comes from a CLI flag (`--journey-visits=50`) or an environment variable
 * (`BENCH_JOURNEY_VISITS=50`), the flag winning; `--quick` (or `BENCH_SCALE=quick`) switches the
 * defaults to a smoke run of about two minutes. Parsed once, here, with zod.
 */
export const SCENARIOS = ['journey', 'rush', 'hl7', 'reads', 'streams', 'transit', 'webhooks', 'retail', 'reports'] as const;
/** The scenarios also run against several API and worker processes (`--replicas`). */
export const REPLICATED: readonly ScenarioName[] = ['reads', 'rush', 'journey'];
export type ScenarioName = (typeof SCENARIOS)[number];

const count = z.coerce.number().int().positive();

const Sizes = z.object({
  journeyVisits: count,
  journeyConcurrency: count,
  journeyWarmup: z.coerce.number().int().nonnegative(),
  rushPatients: count,
  rushSlots: count,
  rushConnections: count,
  hl7Messages: count,
  hl7Connections: count,
  readsVisits: count,
  readsConnections: count,
  readsSeconds: count,
  streamsOpen: count,
  streamsIdleSeconds: count,
  streamsChanges: count,
  transitGateCodes: count,
  transitTaps: count,
  transitTapRiders: count,
  transitLatencySamples: count,
  transitPeakRiders: count,
  webhookDeliveries: count,
  webhookLatencySamples: count,
  retailCheckouts: count,
  retailRushClaims: count,
  retailRushCoupons: count,
  retailRushCheckouts: count,
  retailLedgerWrites: count,
  reportsEvents: count,
  reportsInstitutions: count,
  reportsQueries: count,
});
type Sizes = z.infer<typeof Sizes>;

const FULL: Sizes = {
  journeyVisits: 300,
  journeyConcurrency: 40,
  journeyWarmup: 10,
  rushPatients: 1000,
  rushSlots: 100,
  rushConnections: 256,
  hl7Messages: 6000,
  hl7Connections: 4,
  readsVisits: 64,
  readsConnections: 16,
  readsSeconds: 10,
  streamsOpen: 1000,
  streamsIdleSeconds: 10,
  streamsChanges: 20,
  transitGateCodes: 5000,
  transitTaps: 20000,
  transitTapRiders: 2000,
  transitLatencySamples: 200,
  // The issue's peak is 20,000 riders (--transit-peak-riders=20000, about 10 minutes here).
  transitPeakRiders: 2000,
  webhookDeliveries: 5000,
  webhookLatencySamples: 200,
  retailCheckouts: 200,
  retailRushClaims: 10000,
  retailRushCoupons: 1000,
  retailRushCheckouts: 400,
  retailLedgerWrites: 20000,
  reportsEvents: 1_000_000,
  reportsInstitutions: 50,
  reportsQueries: 200,
};
const QUICK: Sizes = {
  journeyVisits: 30,
  journeyConcurrency: 10,
  journeyWarmup: 3,
  rushPatients: 200,
  rushSlots: 20,
  rushConnections: 64,
  hl7Messages: 600,
  hl7Connections: 2,
  readsVisits: 8,
  readsConnections: 8,
  readsSeconds: 3,
  streamsOpen: 100,
  streamsIdleSeconds: 3,
  streamsChanges: 5,
  transitGateCodes: 500,
  transitTaps: 2000,
  transitTapRiders: 200,
  transitLatencySamples: 20,
  transitPeakRiders: 100,
  webhookDeliveries: 500,
  webhookLatencySamples: 30,
  retailCheckouts: 20,
  retailRushClaims: 1000,
  retailRushCoupons: 100,
  retailRushCheckouts: 40,
  retailLedgerWrites: 2000,
  reportsEvents: 50_000,
  reportsInstitutions: 10,
  reportsQueries: 30,
};

export const BenchOptions = Sizes.extend({
  scale: z.enum(['full', 'quick']),
  only: z.array(z.enum(SCENARIOS)).min(1),
  /** Log level of the API and worker processes; `error` keeps logging cost out of the figures (say so). */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  adminUrl: z.string().url(),
  outDir: z.string().min(1),
  keepDatabase: z.boolean(),
  /** API/worker process counts to run: 1 is the single-process stack; more runs REPLICATED again on that many of each. */
  replicas: z.array(z.number().int().min(1).max(4)).min(1),
  /** Write V8 CPU profiles of the API and worker processes (`node --cpu-prof`) to bench/results/profiles/. */
  profile: z.boolean(),
  path: z.string(),
}).refine((o) => o.rushSlots <= o.rushPatients, { message: 'a rush needs at least as many patients as slots', path: ['rushSlots'] });
export type BenchOptions = z.infer<typeof BenchOptions>;

const FLAG_TO_KEY: Record<string, keyof Sizes> = Object.fromEntries(
  (Object.keys(FULL) as Array<keyof Sizes>).map((k) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), k]),
);

function envName(key: string): string {
  return `BENCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `--name=value`, `--name value` and bare `--flag` (true). */
function parseArgv(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)} (flags look like --name=value)`);
    const eq = arg.indexOf('=');
    if (eq > 0) out.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--')) out.set(arg.slice(2), argv[++i] ?? '');
    else out.set(arg.slice(2), 'true');
  }
  return out;
}

export function usage(): string {
  const sizes = (Object.keys(FULL) as Array<keyof Sizes>).map(
    (k) => `  --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} (${envName(k)}) default ${FULL[k]}, quick ${QUICK[k]}`,
  );
  return [
    'usage: npm run bench -- [--quick] [--only=journey,rush,hl7,reads,streams,transit,webhooks,retail,reports] [--replicas=1,2] [--size=value …]',
    '  --quick (BENCH_SCALE=quick)       smoke-run sizes',
    '  --only (BENCH_ONLY)                scenarios to run, comma-separated',
    '  --log-level (BENCH_LOG_LEVEL)      API/worker log level, default error',
    '  --admin-url (BENCH_DATABASE_ADMIN_URL) default postgres://postgres@127.0.0.1:5432/postgres',
    '  --keep-database (BENCH_KEEP_DATABASE) keep causeway_bench_* after the run',
    `  --replicas (BENCH_REPLICAS)         API+worker process counts, comma-separated; default 1,2 (quick: 1); counts above 1 run ${REPLICATED.join(', ')} only`,
    '  --profile (BENCH_PROFILE)           CPU profiles of the API and worker processes in bench/results/profiles/',
    ...sizes,
  ].join('\n');
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, repoRoot: string): BenchOptions {
  const flags = parseArgv(argv);
  const pick = (flag: string, envKey: string): string | undefined => flags.get(flag) ?? env[envKey];
  const scale = flags.get('quick') === 'true' || env.BENCH_SCALE === 'quick' ? 'quick' : 'full';
  const defaults = scale === 'quick' ? QUICK : FULL;
  const sizes: Record<string, unknown> = { ...defaults };
  for (const [flag, key] of Object.entries(FLAG_TO_KEY)) {
    const raw = pick(flag, envName(key));
    if (raw !== undefined) sizes[key] = raw;
  }
  const known = new Set([
    'quick',
    'only',
    'log-level',
    'admin-url',
    'keep-database',
    'replicas',
    'profile',
    'help',
    ...Object.keys(FLAG_TO_KEY),
  ]);
  for (const flag of flags.keys()) if (!known.has(flag)) throw new Error(`unknown flag --${flag}\n${usage()}`);
  const only = pick('only', 'BENCH_ONLY');
  const parsed = BenchOptions.safeParse({
    ...sizes,
    scale,
    only: only
      ? only
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...SCENARIOS],
    logLevel: pick('log-level', 'BENCH_LOG_LEVEL') ?? 'error',
    adminUrl: pick('admin-url', 'BENCH_DATABASE_ADMIN_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    outDir: path.join(repoRoot, 'bench', 'results'),
    keepDatabase: pick('keep-database', 'BENCH_KEEP_DATABASE') === 'true',
    replicas: (pick('replicas', 'BENCH_REPLICAS') ?? (scale === 'quick' ? '1' : '1,2'))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number),
    profile: pick('profile', 'BENCH_PROFILE') === 'true',
    path: env.PATH ?? '',
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new Error(`invalid bench options:\n${problems.join('\n')}\n${usage()}`);
  }
  return parsed.data;
}
