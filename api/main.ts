import { startConfiguredCodecListener } from '../platform/codecServerListener';
import { loadConfig } from '../platform/config';
import { installFatalErrorPolicy } from '../platform/fatalErrors';
import { openServices } from '../platform/services';
import { startApi } from './server';

/** The API process: scales on its own; SIGTERM/SIGINT stop accepting connections and drain. */
async function main(): Promise<void> {
  // First thing: an error escaping any handler from here on ends the process cleanly, never half-alive.
  const fatal = installFatalErrorPolicy({ name: 'causeway-api' });
  const config = loadConfig();
  const services = await openServices(config, 'causeway-api');
  fatal.setLogger(services.logger);
  const api = await startApi(services);
  // The loopback-only codec listener for an operator's Web UI, when CODEC_LISTEN_PORT is set.
  const codec = await startConfiguredCodecListener(services);
  fatal.setShutdown(async () => {
    await codec?.close();
    await api.close();
    await services.close();
  });
  const stop = async (signal: string): Promise<void> => {
    services.logger.info({ signal }, 'API draining');
    await codec?.close();
    await api.close();
    await services.close();
    services.logger.info('API stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
