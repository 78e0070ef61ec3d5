import { startPaymentSimulator, type PaymentSimulator } from '../../integrations/payment/simulator';
import { startIdentitySimulator } from '../../integrations/identity';
import type { DevKeys } from './devKeys';

export interface DemoSimulators {
  payment: PaymentSimulator;
  identity: { url: string; stop(): Promise<void> };
  stop(): Promise<void>;
}

/** The counterparts the demo talks to, on their usual local ports. */
export async function startSimulators(keys: DevKeys, opts: { host?: string; paymentPort?: number; identityPort?: number } = {}): Promise<DemoSimulators> {
  const host = opts.host ?? '127.0.0.1';
  const payment = await startPaymentSimulator({
    host,
    port: opts.paymentPort ?? 8090,
    appPublicKey: keys.payment.app.publicKeyPem,
    platformPrivateKey: keys.payment.platform.privateKeyPem,
  });
  const identity = await startIdentitySimulator({ host, port: opts.identityPort ?? 8091, sharedSecret: keys.identitySecret });
  return {
    payment,
    identity,
    stop: async () => {
      await payment.stop();
      await identity.stop();
    },
  };
}
