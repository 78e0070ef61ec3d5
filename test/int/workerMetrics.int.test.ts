import { createServer } from 'node:net';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import { killed, spawnWorker } from '../helpers/workerProcess';

/**
 * The worker process (dist/worker/main.js, as the image runs it) serves the SDK runtime's metrics for
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

it('exports the SDK worker metrics in the Prometheus text format', async () => {
  const port = await freePort();
  const worker = spawnWorker(p.services.config, { WORKER_METRICS_HOST: '127.0.0.1', WORKER_METRICS_PORT: String(port) });
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
