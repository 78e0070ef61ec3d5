import 'reflect-metadata';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { ensureDatabase } from '../db/admin';
import { runMigrations } from '../db/dataSource';
import { startApi } from '../api/server';
import { loadConfig } from '../platform/config';
import { startEmbeddedPostgres, isListening, type EmbeddedPostgres } from '../platform/embeddedPostgres';
import { openServices } from '../platform/services';
import { startConfiguredCodecListener } from '../platform/codecServerListener';
import { devServerCommand, startDevServer, waitForTemporal } from '../platform/temporal/devServer';
import { startWorker } from '../worker/run';
import { demoEnv, loadOrCreateDevKeys } from './demo/devKeys';
import { runDemoJourney } from './demo/journey';
import { DEMO_HOSPITAL_ID, seedDemo } from './demo/seed';
import { DEMO_HISTORY_INSTITUTIONS, seedDemoHistory } from './demo/history';
import { runDemoVisit } from './demo/visit';
import { runDemoRide } from './demo/ride';
import { runDemoSettlement } from './demo/rideSettlement';
import { runDemoRetail } from './demo/retail';
import { DEMO_DISTRICT_ID } from './demo/retailSeed';
import { onboardDemoMerchant } from './demo/onboarding';
import { DEMO_TRANSIT_OPERATOR_ID, DEMO_TRANSIT_ZONE } from './demo/transitSeed';
import { operatorRootPublicKey } from '../db/repositories/transitIssuerKeys';
import { startSimulators } from './demo/simulators';
import { startDemoWebhooks } from './demo/webhooks';
import { Supervisor } from './lib/supervisor';
import { databaseKeysDiffer } from './lib/dataKeys';
import { devLogger } from './lib/devLog';
import { createDemoConsoleLogins } from './demo/consoleLogins';

/**
 * `npm start`: the whole platform on one machine. Temporal dev server (SQLite under data/, Web UI),
 * PostgreSQL (local, else embedded PGlite), migrations, simulators, worker and API in this process,
 * a seeded demo hospital and partner app, and one demo journey to follow in the Web UI, which shows
 * decrypted payloads through the loopback-only codec listener.
 *
 * The Temporal dev server is a child process under the supervisor (scripts/lib/supervisor.ts): if it
 * dies, everything stops with a line saying so; Ctrl-C, SIGTERM or a crash here stop it too.
 */
const StartEnv = z.object({
  CAUSEWAY_DATA_DIR: z.string().default('data'),
  DATABASE_URL: z.string().optional(),
  API_PORT: z.coerce.number().int().default(8080),
  TEMPORAL_PORT: z.coerce.number().int().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  CAUSEWAY_DEMO: z.enum(['true', 'false']).default('true'),
  MLLP_PORT: z.coerce.number().int().default(2575),
  CODEC_LISTEN_PORT: z.coerce.number().int().default(8234),
  PATH: z.string().default(''),
});

const say = (m: string): void => {
  process.stdout.write(`[causeway] ${m}\n`);
};

/** In-process parts to close, newest first, before the supervisor stops the child processes. */
const closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
async function closeInProcess(): Promise<void> {
  for (const c of closers.splice(0).reverse()) {
    try {
      await c.close();
    } catch (err) {
      say(`stopping ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const supervisor = new Supervisor({
  log: say,
  graceMs: 15_000,
  beforeStop: closeInProcess,
  onFatal: (_reason, code) => process.exit(code),
});

async function main(): Promise<void> {
  supervisor.installProcessHandlers();
  const env = StartEnv.parse(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the SDK's INFO lines (bundler output) would drown the demo's
  const dataDir = path.resolve(env.CAUSEWAY_DATA_DIR);
  const keys = await loadOrCreateDevKeys(dataDir);
  const codecEndpoint = `http://127.0.0.1:${env.CODEC_LISTEN_PORT}`;

  say(`starting Temporal dev server (${path.join(dataDir, 'temporal.sqlite')})…`);
  const serverOpts = {
    pathVar: env.PATH,
    dbFilename: path.join(dataDir, 'temporal.sqlite'),
    port: env.TEMPORAL_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    uiCodecEndpoint: codecEndpoint,
    log: say,
  };
  const cli = devServerCommand(serverOpts);
  let temporalAddress: string;
  if (cli) {
    supervisor.start({ name: 'Temporal dev server', command: cli.command, args: cli.args });
    await waitForTemporal(cli.address);
    temporalAddress = cli.address;
  } else {
    // No CLI and no Go: the SDK downloads and runs the server; it stops with this process's clean-up.
    const temporal = await startDevServer(serverOpts);
    closers.push({ name: 'Temporal dev server (SDK)', close: () => temporal.stop() });
    temporalAddress = temporal.address;
  }

  let databaseUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/causeway';
  let poolSize = '10';
  let embedded: EmbeddedPostgres | undefined;
  const pg = new URL(databaseUrl);
  if (await isListening(pg.hostname, Number(pg.port || 5432))) {
    await ensureDatabase(databaseUrl);
    say(`PostgreSQL: ${pg.host}${pg.pathname}`);
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pglite'), port: 54329 });
    const pglite = embedded;
    closers.push({ name: 'embedded PostgreSQL', close: () => pglite.stop() });
    databaseUrl = embedded.url;
    poolSize = '1';
    say(`no PostgreSQL at ${pg.host}: using the embedded PostgreSQL (PGlite, data/pglite) on port 54329, one connection`);
  }

  const mllpPort = env.MLLP_PORT;
  const sims = await startSimulators(keys, { causewayMllpPort: mllpPort });
  closers.push({ name: 'simulators', close: () => sims.stop() });
  const config = loadConfig(
    demoEnv(keys, {
      MLLP_PORT: String(mllpPort),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: poolSize,
      TEMPORAL_ADDRESS: temporalAddress,
      API_PORT: String(env.API_PORT),
      PAYMENT_GATEWAY_URL: sims.payment.gatewayUrl,
      PAYMENT_APP_ID: sims.payment.appId,
      IDENTITY_PROVIDER_URL: sims.identity.url,
      REGISTRY_URL: sims.registry.url,
      TEMPORAL_UI_URL: `http://localhost:${env.TEMPORAL_UI_PORT}`,
      CODEC_LISTEN_PORT: String(env.CODEC_LISTEN_PORT),
      CODEC_CORS_ORIGINS: `http://localhost:${env.TEMPORAL_UI_PORT},http://127.0.0.1:${env.TEMPORAL_UI_PORT}`,
    }),
  );
  const log = devLogger(dataDir, config.LOG_LEVEL);
  const services = await openServices(config, 'causeway', { logger: log.logger });
  closers.push({ name: 'connections', close: () => services.close() });
  say(`logs         ${log.file}   (JSON lines; warnings and errors also print here)`);
  const applied = await runMigrations(services.db);
  if (applied.length) say(`migrations applied: ${applied.join(', ')}`);
  if (await databaseKeysDiffer(services.db, services.pii, DEMO_HOSPITAL_ID)) {
    say(
      `the database ${embedded ? 'under data/pglite' : pg.host + pg.pathname} was filled with other keys than ${path.join(dataDir, 'dev-keys.json')}`,
    );
    say('(a new data folder next to an old database, or the reverse). `npm run reset` clears both; then `npm start` again.');
    supervisor.fatal('data folder and database disagree', 2);
    return;
  }
  await seedDemo(services, { partnerApiKey: keys.partnerApiKey, hospitalSecret: keys.hospitalSecret, hisHost: '127.0.0.1' });
  const history = await seedDemoHistory(services.db, { institutions: DEMO_HISTORY_INSTITUTIONS });
  if (history.days) say(`history      ${history.days} days of synthetic journeys and channel totals written for the reports`);
  const worker = await startWorker(services);
  closers.push({ name: 'worker', close: () => worker.shutdown() });
  const api = await startApi(services);
  closers.push({ name: 'API', close: () => api.close() });
  const codec = await startConfiguredCodecListener(services);
  if (codec) closers.push({ name: 'codec listener', close: () => codec.close() });

  say(`API          ${api.url}   (health ${api.url}/readyz)`);
  say(`OpenAPI      ${api.url}/openapi.json`);
  say(
    `Temporal UI  ${config.TEMPORAL_UI_URL}   (payloads decoded by the codec listener ${codecEndpoint}, loopback only; every decode is audited)`,
  );
  say(`codec for tooling  ${api.url}/codec   (operator token in data/dev-keys.json)`);
  say(`partner API key and operator token: data/dev-keys.json`);

  say(`HIS sim     ${sims.hisControlUrl}/sim/state   (demo hospital's HIS: call patients, place orders, send results)`);
  if (env.CAUSEWAY_DEMO === 'true') {
    try {
      const demoUser = await runDemoJourney({ apiUrl: api.url, keys, sims, uiUrl: config.TEMPORAL_UI_URL, say });
      if (demoUser.verified) {
        const webhooks = await startDemoWebhooks({ apiUrl: api.url, partnerApiKey: keys.partnerApiKey, say });
        closers.push({ name: 'webhook receiver', close: () => webhooks.stop() });
        await runDemoVisit({
          apiUrl: api.url,
          partnerApiKey: keys.partnerApiKey,
          userId: demoUser.userId,
          sims,
          uiUrl: config.TEMPORAL_UI_URL,
          say,
        });
        await webhooks.report(demoUser.userId);
        const rider = await runDemoRide({
          apiUrl: api.url,
          partnerApiKey: keys.partnerApiKey,
          operatorSecret: keys.hospitalSecret,
          rootPublicKey: (await operatorRootPublicKey(services.db, DEMO_TRANSIT_OPERATOR_ID)) ?? '',
          userId: demoUser.userId,
          dataDir,
          say,
        });
        await runDemoSettlement({
          apiUrl: api.url,
          partnerApiKey: keys.partnerApiKey,
          operatorSecret: keys.hospitalSecret,
          operatorZone: DEMO_TRANSIT_ZONE,
          userId: demoUser.userId,
          rider,
          payment: sims.payment,
          say,
        });
        const merchant = await onboardDemoMerchant({
          apiUrl: api.url,
          operatorToken: keys.operatorToken,
          registry: sims.registry,
          districtId: DEMO_DISTRICT_ID,
          uiUrl: config.TEMPORAL_UI_URL,
          say,
        });
        await runDemoRetail({
          apiUrl: api.url,
          partnerApiKey: keys.partnerApiKey,
          districtSecret: keys.hospitalSecret,
          merchantId: merchant.merchantId,
          merchantSecret: merchant.secret,
          userId: demoUser.userId,
          payment: sims.payment,
          uiUrl: config.TEMPORAL_UI_URL,
          say,
        });
      }
    } catch (err) {
      say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const consoleLogins = await createDemoConsoleLogins(services.db, DEMO_HOSPITAL_ID);
  say(`console      ${api.url}/console/   (new passwords on every start)`);
  for (const l of consoleLogins) say(`  ${l.who.padEnd(28)} login ${l.login.padEnd(16)} password ${l.password}`);
  say('running; Ctrl-C stops everything (workflows and data persist under data/)');
}

main().catch((err: unknown) => {
  supervisor.fatal(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 1);
});
