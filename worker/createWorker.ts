import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { assertBundleEncodesFailures, codecDataConverter } from '../platform/codecDataConverter';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  codec: PayloadCodec;
  activities: object;
  /** A prebuilt bundle (tests, production images); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  logger?: Logger;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  if (opts.workflowBundlePath) assertBundleEncodesFailures(opts.workflowBundlePath);
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = opts.workflowBundlePath
    ? { workflowBundle: { codePath: opts.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowSource,
    activities: opts.activities,
    dataConverter: codecDataConverter(opts.codec),
    // On SIGTERM the worker stops polling and lets in-flight activities finish for this long.
    shutdownGraceTime: '30s',
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 100,
  });
}
