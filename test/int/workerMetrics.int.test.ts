import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import { killed, spawnWorker } from '../helpers/workerProcess';

/**
 * The worker process as the image runs it: dist/worker/main.js on the bundle the Dockerfile builds with
 * dist/scripts/build-workflow-bundle.js (WORKFLOW_BUNDLE_PATH), serving the SDK runtime's metrics for
 * Prometheus on WORKER_METRICS_HOST:WORKER_METRICS_PORT, beside the API's /metrics.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

/** A port nothing listens on right now (the SDK core binds it itself and cannot report an ephemeral one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const BUILD_BUNDLE = path.join(__dirname, '..', '..', 'dist', 'scripts', 'build-workflow-bundle.js');

it('runs on the prebuilt workflow bundle and exports the SDK worker metrics in the Prometheus text format', async () => {
  const bundle = path.join(mkdtempSync(path.join(tmpdir(), 'causeway-bundle-')), 'workflow-bundle.js');
  await promisify(execFile)(process.execPath, [BUILD_BUNDLE, bundle]);
  expect(statSync(bundle).size).toBeGreaterThan(0);
  const port = await freePort();
  const worker = spawnWorker(p.services.config, {
    WORKFLOW_BUNDLE_PATH: bundle,
    WORKER_METRICS_HOST: '127.0.0.1',
    WORKER_METRICS_PORT: String(port),
  });
  try {
    await worker.ready;
    // The exporter is bound when the runtime is installed, before the worker connects.
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    // Pollers and task slots of the worker's task queue appear once its pollers have started.
    const label = `task_queue="${p.services.config.TEMPORAL_TASK_QUEUE}"`;
    const body = await until('worker metrics of its task queue', async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text.includes(label) ? text : false;
    });
    expect(body).toMatch(/^# TYPE temporal_\w+ \w+$/m);
  } finally {
    worker.kill('SIGTERM');
    await killed(worker);
  }
});
