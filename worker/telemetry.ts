import { Runtime } from '@temporalio/worker';
import type { Env } from '../platform/config';

/**
 * The SDK's own worker metrics (task slots, poll and schedule-to-start latencies, sticky cache) for
 * Prometheus, served by the SDK core on WORKER_METRICS_HOST:WORKER_METRICS_PORT. Must run before the
 * first NativeConnection, which creates the runtime. Labels are namespace, task queue and workflow or
 * activity type: never personal data.
 *
 * @returns the scrape URL, or null when WORKER_METRICS_PORT is 0 (off).
 */
export function installWorkerRuntime(config: Pick<Env, 'WORKER_METRICS_HOST' | 'WORKER_METRICS_PORT'>): string | null {
  if (config.WORKER_METRICS_PORT === 0) return null;
  const bindAddress = `${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}`;
  Runtime.install({ telemetryOptions: { metrics: { metricPrefix: 'temporal_', prometheus: { bindAddress } } } });
  return `http://${bindAddress}/metrics`;
}
