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
import { startDevServer } from '../platform/temporal/devServer';
import { startWorker } from '../worker/run';
import { demoEnv, loadOrCreateDevKeys } from './demo/devKeys';
import { runDemoJourney } from './demo/journey';
import { seedDemo } from './demo/seed';
import { runDemoVisit } from './demo/visit';
import { startSimulators } from './demo/simulators';

/**
 * `npm start`: the whole platform on one machine. Temporal dev server (SQLite under data/, Web UI),
 * PostgreSQL (local, else embedded PGlite), migrations, simulators, worker and API in this process,
 * a seeded demo hospital and partner app, and one demo journey to follow in the Web UI.
 */
const StartEnv = z.object({
  CAUSEWAY_DATA_DIR: z.string().default('data'),
  DATABASE_URL: z.string().optional(),
  API_PORT: z.coerce.number().int().default(8080),
  TEMPORAL_PORT: z.coerce.number().int().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  CAUSEWAY_DEMO: z.enum(['true', 'false']).default('true'),
  MLLP_PORT: z.coerce.number().int().default(2575),
  PATH: z.string().default(''),
});

async function main(): Promise<void> {
  const env = StartEnv.parse(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the SDK's INFO lines (bundler output) would drown the demo's
  const dataDir = path.resolve(env.CAUSEWAY_DATA_DIR);
  const say = (m: string): void => {
    process.stdout.write(`[causeway] ${m}\n`);
  };
  const keys = await loadOrCreateDevKeys(dataDir);

  say(`starting Temporal dev server (${path.join(dataDir, 'temporal.sqlite')})…`);
  const temporal = await startDevServer({
    pathVar: env.PATH,
    dbFilename: path.join(dataDir, 'temporal.sqlite'),
    port: env.TEMPORAL_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    uiCodecEndpoint: `http://127.0.0.1:${env.API_PORT}/codec`,
    log: say,
  });

  let databaseUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/causeway';
  let poolSize = '10';
  let embedded: EmbeddedPostgres | undefined;
  const pg = new URL(databaseUrl);
  if (await isListening(pg.hostname, Number(pg.port || 5432))) {
    await ensureDatabase(databaseUrl);
    say(`PostgreSQL: ${pg.host}${pg.pathname}`);
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pglite'), port: 54329 });
    databaseUrl = embedded.url;
    poolSize = '1';
    say(`no PostgreSQL at ${pg.host}: using the embedded PostgreSQL (PGlite, data/pglite) on port 54329, one connection`);
  }

  const mllpPort = env.MLLP_PORT;
  const sims = await startSimulators(keys, { causewayMllpPort: mllpPort });
  const config = loadConfig(
    demoEnv(keys, {
      MLLP_PORT: String(mllpPort),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: poolSize,
      TEMPORAL_ADDRESS: temporal.address,
      API_PORT: String(env.API_PORT),
      PAYMENT_GATEWAY_URL: sims.payment.gatewayUrl,
      PAYMENT_APP_ID: sims.payment.appId,
      IDENTITY_PROVIDER_URL: sims.identity.url,
      TEMPORAL_UI_URL: `http://localhost:${env.TEMPORAL_UI_PORT}`,
    }),
  );
  const services = await openServices(config, 'causeway');
  const applied = await runMigrations(services.db);
  if (applied.length) say(`migrations applied: ${applied.join(', ')}`);
  await seedDemo(services, { partnerApiKey: keys.partnerApiKey, hospitalSecret: keys.hospitalSecret, hisHost: '127.0.0.1' });
  const worker = await startWorker(services);
  const api = await startApi(services);

  say(`API          ${api.url}   (health ${api.url}/readyz)`);
  say(`OpenAPI      ${api.url}/openapi.json`);
  say(`Temporal UI  ${config.TEMPORAL_UI_URL}   (codec server ${api.url}/codec, operator token in data/dev-keys.json)`);
  say(`partner API key and operator token: data/dev-keys.json`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await api.close();
    await worker.shutdown();
    await services.close();
    await sims.stop();
    await embedded?.stop();
    await temporal.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());

  say(`HIS sim     ${sims.hisControlUrl}/sim/state   (demo hospital's HIS: call patients, place orders, send results)`);
  if (env.CAUSEWAY_DEMO === 'true') {
    try {
      const demoUser = await runDemoJourney({ apiUrl: api.url, keys, sims, uiUrl: config.TEMPORAL_UI_URL, say });
      if (demoUser.verified)
        await runDemoVisit({
          apiUrl: api.url,
          partnerApiKey: keys.partnerApiKey,
          userId: demoUser.userId,
          sims,
          uiUrl: config.TEMPORAL_UI_URL,
          say,
        });
    } catch (err) {
      say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  say('running; Ctrl-C stops everything (workflows and data persist under data/)');
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
