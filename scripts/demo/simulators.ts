import { startPaymentSimulator, type PaymentSimulator } from '../../integrations/payment/simulator';
import { startIdentitySimulator } from '../../integrations/identity';
import { startRegistrySimulator, type RegistrySimulator } from '../../integrations/registry';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import type { DevKeys } from './devKeys';
import { DEMO_DEPARTMENTS, DEMO_DOCTORS, DEMO_HIS_MLLP_PORT, DEMO_HOSPITAL_ID } from './seed';

export interface DemoSimulators {
  payment: PaymentSimulator;
  identity: { url: string; stop(): Promise<void> };
  /** The company registry: a demo registers the merchants it onboards. */
  registry: RegistrySimulator;
  his: HisSimulator;
  /** The HIS simulator's HTTP control API (call next patient, place orders, send results). */
  hisControlUrl: string;
  stop(): Promise<void>;
}

/** The counterparts the demo talks to, on their usual local ports. */
export async function startSimulators(
  keys: DevKeys,
  opts: {
    host?: string;
    paymentPort?: number;
    identityPort?: number;
    registryPort?: number;
    hisControlPort?: number;
    causewayMllpPort: number;
  },
): Promise<DemoSimulators> {
  const host = opts.host ?? '127.0.0.1';
  const payment = await startPaymentSimulator({
    host,
    port: opts.paymentPort ?? 8090,
    appPublicKey: keys.payment.app.publicKeyPem,
    platformPrivateKey: keys.payment.platform.privateKeyPem,
  });
  const identity = await startIdentitySimulator({ host, port: opts.identityPort ?? 8091, sharedSecret: keys.identitySecret });
  const registry = await startRegistrySimulator({ host, port: opts.registryPort ?? 8093, apiKey: keys.registryApiKey });
  const hisControlPort = opts.hisControlPort ?? 8092;
  const his = await startHisSimulator({
    host,
    port: DEMO_HIS_MLLP_PORT,
    causeway: { host, port: opts.causewayMllpPort },
    facility: DEMO_HOSPITAL_ID,
    departments: DEMO_DEPARTMENTS.map((d) => ({ id: d.id, name: d.name })),
    doctors: DEMO_DOCTORS.map((d) => ({ id: d.id, name: d.displayName, departmentId: d.departmentId })),
    control: { host, port: hisControlPort },
  });
  return {
    payment,
    identity,
    registry,
    his,
    hisControlUrl: `http://${host}:${hisControlPort}`,
    stop: async () => {
      await his.stop();
      await payment.stop();
      await identity.stop();
      await registry.stop();
    },
  };
}
