import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { codecDataConverter } from '../../platform/codecDataConverter';
import { createWorker } from '../../worker/createWorker';

export interface TestTemporal {
  client: Client;
  worker: Worker;
  taskQueue: string;
  /** Runs `fn` while the worker polls, then shuts the worker down. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A worker on its own task queue against the run's real Temporal dev server, using the workflow
 * bundle built in the global set-up and whatever activities the test passes (the real ones,
 * built over real adapters, with `activityOverrides` only where a test needs to inject a fault).
 */
export async function createTestWorker(opts: { activities: object; codec?: PayloadCodec; taskQueue?: string }): Promise<TestTemporal> {
  const address = process.env.TEMPORAL_ADDRESS;
  const bundle = process.env.CAUSEWAY_WORKFLOW_BUNDLE;
  if (!address || !bundle) throw new Error('TEMPORAL_ADDRESS / CAUSEWAY_WORKFLOW_BUNDLE missing: run through jest (global set-up)');
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const codec: PayloadCodec = opts.codec ?? { encode: async (p) => p, decode: async (p) => p };
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    codec,
    activities: opts.activities,
    workflowBundlePath: bundle,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter: codecDataConverter(codec) });
  return {
    client,
    worker,
    taskQueue,
    run: (fn) => worker.runUntil(fn),
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
