import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleConverterOptions } from '../../platform/codecDataConverter';
import { dropDatabase, ensureDatabase } from '../../db/admin';
import { createDataSource, runMigrations } from '../../db/dataSource';
import { startDevServer, type DevServer } from '../../platform/temporal/devServer';

/** The infrastructure the bench stands up for itself: a fresh database, an in-memory Temporal, two workflow bundles. */

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** `causeway_bench_<random>` on the admin URL's server, migrated. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const url = new URL(adminUrl);
  const name = `causeway_bench_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const ds = createDataSource(url.toString(), { poolSize: 1, applicationName: 'causeway-bench-migrate' });
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
  return { url: url.toString(), name, drop: () => dropDatabase(url.toString()) };
}

/** In-memory dev server (no dbFilename): nothing outlives the run. */
export function startTemporal(pathVar: string, say: (m: string) => void): Promise<DevServer> {
  return startDevServer({ pathVar, log: say });
}

export interface Bundles {
  dir: string;
  /** The platform's workflows (what dist/worker/main.js runs). */
  platform: string;
  /** The bench-only bare workflow (the Temporal floor). */
  bare: string;
  remove(): void;
}

const noop = (): void => undefined;
const quietBundler = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`), log: noop };

/** Bundled once here so the worker processes start in seconds instead of each running webpack. */
export async function bundleWorkflows(): Promise<Bundles> {
  const dir = mkdtempSync(path.join(tmpdir(), 'causeway-bench-'));
  // The platform bundle carries the codec failure converter (the worker refuses one without it).
  const write = async (name: string, workflowsPath: string): Promise<string> => {
    const { code } = await bundleWorkflowCode({ workflowsPath, ...bundleConverterOptions, logger: quietBundler });
    const file = path.join(dir, name);
    writeFileSync(file, code);
    return file;
  };
  const platform = await write('platform-workflows.js', require.resolve('../../workflows'));
  const bare = await write('bare-workflows.js', require.resolve('../workflows/bareVisit'));
  return { dir, platform, bare, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Secrets for this run only: random, never written anywhere but the child processes' environment. */
export interface BenchKeys {
  piiKey: string;
  piiHmacKey: string;
  codecKey: string;
  operatorToken: string;
  partnerApiKey: string;
  hospitalSecret: string;
}

export function randomKeys(): BenchKeys {
  return {
    piiKey: randomBytes(32).toString('base64'),
    piiHmacKey: randomBytes(32).toString('base64'),
    codecKey: randomBytes(32).toString('base64'),
    operatorToken: `op_${randomBytes(16).toString('hex')}`,
    partnerApiKey: `pk_bench_${randomBytes(16).toString('hex')}`,
    hospitalSecret: randomBytes(24).toString('base64url'),
  };
}
