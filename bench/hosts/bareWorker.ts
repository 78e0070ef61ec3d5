import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { z } from 'zod';
import { createBareActivities } from '../workflows/bareActivities';

/**
 * The Temporal floor's worker: its own process (like the real worker), its own task queue, the
 * bench-only bare workflow bundle, no-op activities, no payload codec. Same concurrency limits as
 * worker/createWorker.ts so that only the work differs.
 */
const Env = z.object({
  BENCH_TEMPORAL_ADDRESS: z.string().min(1),
  BENCH_BARE_TASK_QUEUE: z.string().min(1),
  BENCH_BARE_BUNDLE: z.string().min(1),
});

async function main(): Promise<void> {
  const env = Env.parse(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: env.BENCH_TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: env.BENCH_BARE_TASK_QUEUE,
    workflowBundle: { codePath: env.BENCH_BARE_BUNDLE },
    activities: createBareActivities(),
    maxConcurrentActivityTaskExecutions: 100,
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.once('SIGINT', () => worker.shutdown());
  // The bench went away without stopping us: do not outlive it.
  process.once('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  process.send?.({ kind: 'ready' });
  await worker.run();
  await connection.close();
  process.exit(0); // the IPC channel to the bench would otherwise keep the process alive
}

main().catch((err: unknown) => {
  process.stderr.write(`bench bare worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
