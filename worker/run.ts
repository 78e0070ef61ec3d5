import type { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Services } from '../platform/services';
import { connectWorker } from '../platform/temporal/connection';
import { createWorker } from './createWorker';
import { hisGateways } from './hisGateways';
import { ensureBookingReaperSchedule } from './reaperSchedule';
import { ensureSchedules } from './schedules';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown: in-flight activities finished). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(
  services: Services,
  opts: { workflowBundlePath?: string; publicBaseUrl?: string } = {},
): Promise<RunningWorker> {
  const { config, logger } = services;
  const connection = await connectWorker(config);
  const publicBase = opts.publicBaseUrl ?? config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
  const his = hisGateways(services.db, { timeoutMs: config.MLLP_ACK_TIMEOUT_MS });
  const activities = createActivities({
    his: his.get,
    temporal: services.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: services.db,
    payments: services.payments,
    identity: services.identity,
    registry: services.registry,
    secrets: services.pii,
    notifyUrl: `${publicBase}/v1/payments/notifications`,
  });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    codec: services.codec,
    activities,
    ...(opts.workflowBundlePath ? { workflowBundlePath: opts.workflowBundlePath } : {}),
  });
  await ensureSchedules(services.temporal, config.TEMPORAL_TASK_QUEUE);
  await ensureBookingReaperSchedule(services.temporal, config.TEMPORAL_TASK_QUEUE, config.BOOKING_ORPHAN_GRACE_SECONDS);
  const done = worker.run().finally(async () => {
    await his.close();
    await connection.close();
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
  return {
    worker,
    done,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
