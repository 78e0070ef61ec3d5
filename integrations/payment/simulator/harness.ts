import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AlipayPaymentProvider, type AlipayProviderOptions } from '../alipay/client';
import { generateKeyPairs, type SimulatorKeyPairs } from './keys';
import { startPaymentSimulator, type PaymentSimulator, type PaymentSimulatorOptions } from './server';

/**
 * Wiring for tests, demos and drills: fresh keys, a simulator, and the real adapter pointed at
 * it. Also a minimal merchant-side notification endpoint that records what arrives.
 */
export interface PaymentHarness {
  keys: SimulatorKeyPairs;
  sim: PaymentSimulator;
  provider: AlipayPaymentProvider;
  stop(): Promise<void>;
}

export async function startPaymentHarness(
  opts: {
    sim?: Omit<PaymentSimulatorOptions, 'appPublicKey' | 'platformPrivateKey'>;
    provider?: Partial<Pick<AlipayProviderOptions, 'timeoutMs'>>;
    logger?: Logger;
  } = {},
): Promise<PaymentHarness> {
  const keys = await generateKeyPairs();
  const sim = await startPaymentSimulator({
    ...opts.sim,
    appPublicKey: keys.app.publicKeyPem,
    platformPrivateKey: keys.platform.privateKeyPem,
  });
  const provider = new AlipayPaymentProvider(
    {
      appId: sim.appId,
      appPrivateKeyPem: keys.app.privateKeyPem,
      platformPublicKeyPem: keys.platform.publicKeyPem,
      gatewayUrl: sim.gatewayUrl,
      ...opts.provider,
    },
    opts.logger,
  );
  return { keys, sim, provider, stop: () => sim.stop() };
}

export interface ReceivedNotification {
  params: Record<string, string>;
  /** 1-based arrival order. */
  seq: number;
}

export interface NotificationReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Resolves with the first arrival (past or future) that satisfies `match`. */
  waitFor(match: (n: ReceivedNotification) => boolean, timeoutMs?: number): Promise<ReceivedNotification>;
  stop(): Promise<void>;
}

type Reply = { status: number; body: string };

/** `reply` decides each answer; the default acknowledges with `success`. */
export async function startNotificationReceiver(
  reply: (n: ReceivedNotification) => Reply = () => ({ status: 200, body: 'success' }),
): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const n = { params, seq: received.length + 1 };
      received.push(n);
      const r = reply(n);
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end(r.body);
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound: AddressInfo | string | null = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('receiver: no TCP address');
  return {
    url: `http://127.0.0.1:${bound.port}/notify`,
    received,
    waitFor(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = received.find(match);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(onArrival);
          resolve(hit);
          return true;
        };
        const onArrival = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onArrival);
          reject(new Error(`no matching notification within ${timeoutMs} ms (got ${received.length})`));
        }, timeoutMs);
        if (!check()) waiters.add(onArrival);
      });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
