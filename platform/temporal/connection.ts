import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { codecDataConverter } from '../codecDataConverter';
import type { Env } from '../config';

type TemporalEnv = Pick<
  Env,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_API_KEY'
>;

/** TLS (mTLS with a client cert, or plain TLS for API-key auth) for Temporal Cloud or a secured cluster. */
function tlsOptions(env: TemporalEnv): ConnectionOptions['tls'] {
  if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
    return { clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH), key: readFileSync(env.TEMPORAL_TLS_KEY_PATH) } };
  }
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
