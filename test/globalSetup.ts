import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureDatabase } from '../db/admin';
import { bundleConverterOptions } from '../platform/codecDataConverter';
import { createDataSource, runMigrations } from '../db/dataSource';
import { startDevServer, type DevServer } from '../platform/temporal/devServer';

/**
 * One real Temporal dev server (in memory) and one fresh PostgreSQL database, migrated, for the whole
 * run; the workflow bundle is built once here so each test worker starts in milliseconds.
 * `CAUSEWAY_TEST_INFRA=none` skips all of it for the pure unit project.
 */
declare global {
  var __causewayServer: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.CAUSEWAY_TEST_INFRA === 'none') return;
  const started = Date.now();
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/causeway_test_${process.pid}_${Date.now().toString(36)}`;
  await ensureDatabase(dbUrl.toString());
  const ds = createDataSource(dbUrl.toString(), { poolSize: 1 });
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  process.env.DATABASE_URL = dbUrl.toString();

  const server = await startDevServer({ pathVar: process.env.PATH ?? '', log: (m) => process.stdout.write(`${m}\n`) });
  globalThis.__causewayServer = server;
  process.env.TEMPORAL_ADDRESS = server.address;

  const dir = mkdtempSync(path.join(tmpdir(), 'causeway-test-'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    ...bundleConverterOptions,
    logger: quietBundlerLogger,
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.CAUSEWAY_WORKFLOW_BUNDLE = bundlePath;
  process.stdout.write(
    `\n[test setup] Temporal ${server.address} (${server.executable}), database ${dbUrl.pathname.slice(1)}, ready in ${Date.now() - started} ms\n`,
  );
}

const noop = (): void => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => process.stderr.write(`${m}\n`),
  log: noop,
};
