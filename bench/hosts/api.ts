import 'reflect-metadata';
import type { Server } from 'node:http';
import express from 'express';
import { startApi } from '../../api/server';
import { MllpServer } from '../../integrations/hospital/mllp';
import { loadConfig } from '../../platform/config';
import { openServices } from '../../platform/services';

/**
 * The API process of the bench: the real API (startApi: every route, the MLLP listener with the real
 * inbound HL7 pipeline) exactly as api/main.ts starts it, plus two floors in the same process so they
 * share its runtime and memory: a bare express route and a bare MLLP echo on the same MllpServer code.
 * Tells the parent its ports over IPC.
 */
export interface ApiHostReady {
  kind: 'ready';
  apiUrl: string;
  mllpPort: number;
  bareUrl: string;
  echoPort: number;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const services = await openServices(config, 'causeway-api');
  const api = await startApi(services, config.API_PORT, { mllpPort: config.MLLP_PORT });
  if (api.mllpPort === null) throw new Error('the API started without its MLLP listener');

  const bareApp = express();
  bareApp.disable('x-powered-by');
  bareApp.get('/bare', (_req, res) => {
    res.json({ ok: true });
  });
  const bare = await new Promise<Server>((resolve, reject) => {
    const s = bareApp.listen(0, config.API_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const bareAddress = bare.address();
  const barePort = typeof bareAddress === 'object' && bareAddress ? bareAddress.port : 0;

  // Echo: the frame's content back, no parsing, no storage: MLLP framing and sockets alone.
  const echo = new MllpServer({ host: config.MLLP_HOST, port: 0, handler: async (message) => message, drainTimeoutMs: 1_000 });
  const { port: echoPort } = await echo.start();

  const ready: ApiHostReady = {
    kind: 'ready',
    apiUrl: api.url,
    mllpPort: api.mllpPort,
    bareUrl: `http://${config.API_HOST}:${barePort}`,
    echoPort,
  };
  process.send?.(ready);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await echo.stop();
    await new Promise<void>((resolve) => {
      bare.close(() => resolve());
      bare.closeAllConnections();
    });
    await api.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // The bench went away without stopping us (crash, kill -9): do not outlive it.
  process.once('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`bench api host failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
