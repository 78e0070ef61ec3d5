import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/dataSource';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import { startPaymentHarness, type PaymentHarness } from '../../integrations/payment/simulator/harness';
import { PiiCipher } from '../../platform/pii';
import type { ApiHostReady } from '../hosts/api';
import { FARES_OPERATOR } from '../scenarios/transit';
import { firstMessage, spawnNode, toEnv, type Child } from './children';
import { bundleWorkflows, createBenchDatabase, randomKeys, startTemporal, type BenchKeys } from './infra';
import type { BenchOptions } from './options';
import { findTemporalServerPid, ProcessSampler } from './usage';
import { insertPartner } from './seed';
import { Teardown } from './teardown';

/**
 * Everything a scenario talks to: the real stack (API and worker as their own processes, the
 * in-memory Temporal dev server, a fresh PostgreSQL database, the payment simulator behind the real
 * alipay-sdk, HIS simulators over MLLP) and the floors' processes (the bare Temporal worker).
 */
export interface Stack {
  options: BenchOptions;
  keys: BenchKeys;
  /** The bench's own pool: seeding, polling and verification (never the API's or the worker's). */
  db: DataSource;
  databaseUrl: string;
  databaseName: string;
  pii: PiiCipher;
  /** Plain client (no codec): the bare journey and reading history event types. */
  temporal: Client;
  taskQueue: string;
  bareTaskQueue: string;
  /** The first API process (the only one unless replicas > 1). */
  api: ApiHostReady;
  /** Every API process; HTTP load is spread over them round-robin. */
  apis: ApiHostReady[];
  /** API and worker processes of each kind (1 = the single-process stack). */
  replicas: number;
  payment: PaymentHarness;
  partner: { id: string; apiKey: string };
  processes: { api: Child; worker: Child; bareWorker: Child; apis: Child[]; workers: Child[] };
  /** CPU and peak memory of every process, per scenario phase. */
  usage: ProcessSampler;
  /** An HIS simulator for a hospital, talking to the API's MLLP listener; stopped with the stack. */
  startHis(facility: string, doctorIds: string[]): Promise<HisSimulator>;
  stop(): Promise<void>;
}

const DIST = path.join(__dirname, '..', '..');

/** A loopback port free right now (the SDK's exporter takes a fixed port, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Waits until `count` processes poll the queue's activities (each worker process is one poller identity). */
async function waitForPollers(client: Client, taskQueue: string, who: Child, count = 1, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    if ((res.pollers?.length ?? 0) >= count) return;
    await Promise.race([who.exited, new Promise((r) => setTimeout(r, 200))]);
  }
  throw new Error(`${who.name}: no poller on ${taskQueue} within ${timeoutMs} ms:\n${who.tail()}`);
}

export async function startStack(options: BenchOptions, say: (m: string) => void, replicas = 1): Promise<Stack> {
  const teardown = new Teardown();
  try {
    return await build(options, say, teardown, replicas);
  } catch (err) {
    await teardown.run(say);
    throw err;
  }
}

async function build(options: BenchOptions, say: (m: string) => void, teardown: Teardown, replicas: number): Promise<Stack> {
  const keys = randomKeys();
  say('creating a fresh database and starting an in-memory Temporal dev server…');
  // Both at once; whichever comes up is registered for teardown even if the other fails.
  const [createdDb, startedServer] = await Promise.allSettled([
    createBenchDatabase(options.adminUrl).then((d) => {
      teardown.add('drop database', () => (options.keepDatabase ? say(`database ${d.name} kept`) : d.drop()));
      return d;
    }),
    startTemporal(options.path, say).then((s) => {
      teardown.add('stop Temporal', () => s.stop());
      return s;
    }),
  ]);
  if (createdDb.status === 'rejected') throw createdDb.reason;
  if (startedServer.status === 'rejected') throw startedServer.reason;
  const database = createdDb.value;
  const server = startedServer.value;
  say(`database ${database.name}, Temporal ${server.address}; bundling workflows…`);
  const bundles = await bundleWorkflows();
  teardown.add('remove bundles', () => bundles.remove());

  const db = createDataSource(database.url, { poolSize: 10, applicationName: 'causeway-bench' });
  await db.initialize();
  teardown.add('close bench pool', () => db.destroy());
  const pii = new PiiCipher({ keys: { b1: keys.piiKey }, activeKeyId: 'b1', hmacKey: keys.piiHmacKey });
  const connection = await Connection.connect({ address: server.address });
  teardown.add('close Temporal client', () => connection.close());
  const temporal = new Client({ connection, namespace: 'default' });

  const payment = await startPaymentHarness();
  const sims: HisSimulator[] = [];
  let simulatorsStopped: Promise<void> | undefined;
  const stopSimulators = (): Promise<void> => {
    simulatorsStopped ??= (async () => {
      for (const sim of sims) await sim.stop();
      await payment.stop();
    })();
    return simulatorsStopped;
  };
  teardown.add('stop simulators', stopSimulators);
  const partner = { id: await insertPartner(db, keys.partnerApiKey), apiKey: keys.partnerApiKey };

  const suffix = randomBytes(3).toString('hex');
  const taskQueue = `bench-${suffix}`;
  const bareTaskQueue = `bench-bare-${suffix}`;
  const platformEnv = toEnv({
    PATH: options.path,
    NODE_ENV: 'production',
    LOG_LEVEL: options.logLevel,
    // Only the fares operator's taps reach workflows: the ingestion figure is the route alone (scenarios/transit.ts).
    TRANSIT_FORWARD_OPERATORS: FARES_OPERATOR,
    API_HOST: '127.0.0.1',
    API_PORT: 0,
    MLLP_HOST: '127.0.0.1',
    MLLP_PORT: 0,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PII_KEYS: `b1:${keys.piiKey}`,
    PII_ACTIVE_KEY_ID: 'b1',
    PII_HMAC_KEY: keys.piiHmacKey,
    PAYLOAD_CODEC_KEYS: `bc1:${keys.codecKey}`,
    PAYLOAD_CODEC_ACTIVE_KEY_ID: 'bc1',
    OPERATOR_TOKENS: keys.operatorToken,
    PAYMENT_GATEWAY_URL: payment.sim.gatewayUrl,
    PAYMENT_APP_ID: payment.sim.appId,
    PAYMENT_APP_PRIVATE_KEY: payment.keys.app.privateKeyPem,
    PAYMENT_PLATFORM_PUBLIC_KEY: payment.keys.platform.publicKeyPem,
    WORKFLOW_BUNDLE_PATH: bundles.platform,
    // Production refuses a plain-http identity provider and the dev secret; the bench seeds verified
    // users directly and never calls the provider.
    IDENTITY_PROVIDER_URL: 'https://identity.invalid',
    IDENTITY_PROVIDER_SECRET: randomBytes(24).toString('hex'),
    // The bench's few synthetic users and its one partner app make far more requests than real ones
    // (a read scenario runs thousands per second as 64 patients): the per-user and per-partner buckets
    // are raised so that the figures measure the platform, not the limiter, and every answer is a 2xx.
    // The limiter itself still runs on every request (only its numbers change).
    RATE_PARTNER_PER_SECOND: 1_000_000,
    RATE_PARTNER_BURST: 1_000_000,
    RATE_USER_PER_SECOND: 100_000,
    RATE_USER_BURST: 100_000,
    // The streams scenario opens many streams per bench user.
    MAX_QUEUE_STREAMS_PER_USER: 1_000,
    // The API's metrics listener on a port of its own (0: any free one), so that two can run side by side.
    API_METRICS_PORT: 0,
  });
  const profileDir = path.join(options.outDir, 'profiles');
  const nodeArgs = (name: string): string[] =>
    options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${suffix}.cpuprofile`] : [];

  say(`starting ${replicas} API and ${replicas} worker process(es) and the bare worker, each its own process…`);
  const apiChildren: Child[] = [];
  const apis: ApiHostReady[] = [];
  for (let i = 0; i < replicas; i++) {
    const name = i === 0 ? 'api' : `api${i + 1}`;
    const child = spawnNode(name, path.join(DIST, 'bench', 'hosts', 'api.js'), platformEnv, { ipc: true, nodeArgs: nodeArgs(name) });
    teardown.add(`stop ${name}`, () => child.stop());
    apiChildren.push(child);
    apis.push(await firstMessage<ApiHostReady>(child, 'ready'));
  }
  const api = apis[0] as ApiHostReady;
  const apiChild = apiChildren[0] as Child;
  // The real worker entry point, unchanged; payment notifications go to an API it was told about.
  const workers: Child[] = [];
  for (let i = 0; i < replicas; i++) {
    const name = i === 0 ? 'worker' : `worker${i + 1}`;
    const publicUrl = (apis[i % apis.length] ?? api).apiUrl;
    // The SDK's Prometheus exporter stays on, as in production, on a free port (two cannot share the default).
    const env = { ...platformEnv, PUBLIC_BASE_URL: publicUrl, WORKER_METRICS_PORT: String(await freePort()) };
    const child = spawnNode(name, path.join(DIST, 'worker', 'main.js'), env, { nodeArgs: nodeArgs(name) });
    teardown.add(`stop ${name}`, () => child.stop());
    workers.push(child);
  }
  const worker = workers[0] as Child;
  const bareWorker = spawnNode(
    'bare-worker',
    path.join(DIST, 'bench', 'hosts', 'bareWorker.js'),
    toEnv({
      PATH: options.path,
      BENCH_TEMPORAL_ADDRESS: server.address,
      BENCH_BARE_TASK_QUEUE: bareTaskQueue,
      BENCH_BARE_BUNDLE: bundles.bare,
    }),
    { ipc: true },
  );
  teardown.add('stop bare worker', () => bareWorker.stop());
  // Runs before the processes stop: closing the simulators closes the keep-alive connections the worker
  // holds to them, which would otherwise keep a stopped worker process alive (worker/main.ts does not exit by itself).
  teardown.add('stop simulators before the processes', stopSimulators);
  await Promise.all([waitForPollers(temporal, taskQueue, worker, replicas), waitForPollers(temporal, bareTaskQueue, bareWorker)]);

  const temporalPid = findTemporalServerPid();
  const usage = new ProcessSampler(
    () => ({
      api: apiChildren.map((c) => c.pid),
      worker: workers.map((w) => w.pid),
      bareWorker: bareWorker.pid,
      temporal: temporalPid,
      bench: process.pid,
    }),
    db,
    database.name,
  );
  teardown.add('stop usage sampler', () => usage.stop());

  return {
    options,
    keys,
    db,
    databaseUrl: database.url,
    databaseName: database.name,
    pii,
    temporal,
    taskQueue,
    bareTaskQueue,
    api,
    apis,
    replicas,
    payment,
    partner,
    usage,
    processes: { api: apiChild, worker, bareWorker, apis: apiChildren, workers },
    startHis: async (facility, doctorIds) => {
      const sim = await startHisSimulator({
        host: '127.0.0.1',
        port: 0,
        // With several API processes, hospitals are spread over them (each HIS keeps its one connection).
        causeway: { host: '127.0.0.1', port: (apis[sims.length % apis.length] ?? api).mllpPort },
        facility,
        departments: [{ id: 'GEN', name: 'General medicine' }],
        doctors: doctorIds.map((id) => ({ id, name: `Doctor ${id}`, departmentId: 'GEN' })),
        // Results follow as soon as an order is paid in full (DFT^P03), like a fast laboratory.
        behaviour: { autoResultsAfterMs: 0 },
      });
      sims.push(sim);
      return sim;
    },
    stop: () => teardown.run(say),
  };
}
