import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../platform/config';
import { tlsOptions } from '../../platform/temporal/connection';

/** How TEMPORAL_TLS_* and TEMPORAL_API_KEY become the connection's TLS (Temporal Cloud, self-hosted clusters). */
const base = {
  PII_KEYS: 'k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  PII_ACTIVE_KEY_ID: 'k1',
  PII_HMAC_KEY: 'a-hmac-key-of-some-length',
  PAYLOAD_CODEC_KEYS: 'c1:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=',
  PAYLOAD_CODEC_ACTIVE_KEY_ID: 'c1',
};
const dir = mkdtempSync(path.join(tmpdir(), 'causeway-tls-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('Temporal TLS settings', () => {
  it('is plain when nothing asks for TLS, and server-only TLS for TEMPORAL_TLS or an API key', () => {
    expect(tlsOptions(loadConfig(base))).toBe(false);
    expect(tlsOptions(loadConfig({ ...base, TEMPORAL_TLS: 'true' }))).toBe(true);
    expect(tlsOptions(loadConfig({ ...base, TEMPORAL_API_KEY: 'key' }))).toBe(true);
  });

  it('reads the client certificate pair, a private CA and the server name', () => {
    const env = loadConfig({
      ...base,
      TEMPORAL_TLS_CERT_PATH: file('client.pem', 'CERT'),
      TEMPORAL_TLS_KEY_PATH: file('client.key', 'KEY'),
      TEMPORAL_TLS_CA_PATH: file('ca.pem', 'CA'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend.internal',
    });
    const tls = tlsOptions(env);
    expect(tls).toEqual({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      serverRootCACertificate: Buffer.from('CA'),
      serverNameOverride: 'temporal-frontend.internal',
    });
    // A private CA alone (API-key auth to a self-hosted cluster) still turns TLS on.
    expect(tlsOptions(loadConfig({ ...base, TEMPORAL_TLS_CA_PATH: file('ca2.pem', 'CA2') }))).toEqual({
      serverRootCACertificate: Buffer.from('CA2'),
    });
  });

  it('refuses half a client certificate pair instead of silently connecting without it', () => {
    expect(() => loadConfig({ ...base, TEMPORAL_TLS_CERT_PATH: '/x/client.pem' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TEMPORAL_TLS_KEY_PATH: '/x/client.key' })).toThrow(/TEMPORAL_TLS_CERT_PATH/);
  });
});
