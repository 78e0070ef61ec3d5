import { loadConfig } from '../platform/config';
import { installFatalErrorPolicy } from '../platform/fatalErrors';
import { openServices } from '../platform/services';
import { startWorker } from './run';
import { installWorkerRuntime } from './telemetry';

/** The worker process: scales on its own; SIGTERM/SIGINT stop polling and let in-flight activities finish. */
async function main(): Promise<void> {
  // First thing: an error escaping any handler from here on ends the process cleanly, never half-alive.
  const fatal = installFatalErrorPolicy({ name: 'causeway-worker' });
  const config = loadConfig();
  const metricsUrl = installWorkerRuntime(config);
  const services = await openServices(config, 'causeway-worker');
  fatal.setLogger(services.logger);
  const running = await startWorker(services, config.WORKFLOW_BUNDLE_PATH ? { workflowBundlePath: config.WORKFLOW_BUNDLE_PATH } : {});
  services.logger.info({ metricsUrl, workflowBundle: config.WORKFLOW_BUNDLE_PATH ?? 'bundled at start' }, 'worker metrics');
  fatal.setShutdown(async () => {
    await running.shutdown();
    await services.close();
  });
  const stop = (signal: string): void => {
    services.logger.info({ signal }, 'worker shutting down: finishing in-flight activities');
    void running.shutdown();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await running.done;
  await services.close();
  services.logger.info('worker stopped');
  // Keep-alive sockets (the payment SDK's HTTP agent) would otherwise keep the process alive.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
