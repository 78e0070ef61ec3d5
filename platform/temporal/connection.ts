import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { codecDataConverter } from '../codecDataConverter';
import type { Env } from '../config';

type TemporalEnv = Pick<
  Env,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/**
 * TLS for Temporal Cloud or a secured cluster: mTLS with a client certificate, or server-only TLS (API-key
 * auth); a private CA and a server name for a self-hosted cluster. Any of them turns TLS on.
 */
export function tlsOptions(env: TemporalEnv): ConnectionOptions['tls'] {
  const clientCertPair =
    env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH
      ? { crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH), key: readFileSync(env.TEMPORAL_TLS_KEY_PATH) }
      : undefined;
  const tls = {
    ...(clientCertPair ? { clientCertPair } : {}),
    ...(env.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_CA_PATH) } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  if (Object.keys(tls).length > 0) return tls;
  return env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY);
}

export async function connectClient(env: TemporalEnv, codec: PayloadCodec): Promise<Client> {
  const connection = await Connection.connect({
    address: env.TEMPORAL_ADDRESS,
    tls: tlsOptions(env),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: codecDataConverter(codec) });
}

export async function connectWorker(env: TemporalEnv): Promise<NativeConnection> {
  const opts: NativeConnectionOptions = {
    address: env.TEMPORAL_ADDRESS,
    tls: tlsOptions(env),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  };
  return NativeConnection.connect(opts);
}
