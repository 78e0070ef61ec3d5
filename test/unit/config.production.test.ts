import { ConfigError, loadConfig } from '../../platform/config';

/** Issue 8: what is fine on a laptop must be refused when the configuration says production. */
const base = {
  PII_KEYS: 'k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  PII_ACTIVE_KEY_ID: 'k1',
  PII_HMAC_KEY: 'a-hmac-key-of-some-length',
  PAYLOAD_CODEC_KEYS: 'c1:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=',
  PAYLOAD_CODEC_ACTIVE_KEY_ID: 'c1',
};
const strongSecret = 'x'.repeat(40);

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('production configuration', () => {
  it('refuses a plain-http identity provider', () => {
    const message = refusal({
      ...base,
      NODE_ENV: 'production',
      IDENTITY_PROVIDER_URL: 'http://idp.example',
      IDENTITY_PROVIDER_SECRET: strongSecret,
    });
    expect(message).toContain('IDENTITY_PROVIDER_URL');
  });

  it('refuses the default (development) identity secret, given or defaulted, and a short one', () => {
    expect(refusal({ ...base, NODE_ENV: 'production', IDENTITY_PROVIDER_URL: 'https://idp.example' })).toContain(
      'IDENTITY_PROVIDER_SECRET',
    );
    expect(
      refusal({
        ...base,
        NODE_ENV: 'production',
        IDENTITY_PROVIDER_URL: 'https://idp.example',
        IDENTITY_PROVIDER_SECRET: 'dev-identity-secret',
      }),
    ).toContain('IDENTITY_PROVIDER_SECRET');
    expect(
      refusal({ ...base, NODE_ENV: 'production', IDENTITY_PROVIDER_URL: 'https://idp.example', IDENTITY_PROVIDER_SECRET: 'short' }),
    ).toContain('IDENTITY_PROVIDER_SECRET');
  });

  it('accepts https with a real secret in production, and the simulator defaults in development and tests', () => {
    expect(
      loadConfig({ ...base, NODE_ENV: 'production', IDENTITY_PROVIDER_URL: 'https://idp.example', IDENTITY_PROVIDER_SECRET: strongSecret })
        .IDENTITY_PROVIDER_URL,
    ).toBe('https://idp.example');
    expect(loadConfig({ ...base }).IDENTITY_PROVIDER_URL).toBe('http://127.0.0.1:8091');
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).IDENTITY_PROVIDER_SECRET).toBe('dev-identity-secret');
  });

  it('has limits and expiry settings with working defaults', () => {
    const c = loadConfig({ ...base });
    expect(c).toMatchObject({ API_METRICS_HOST: '127.0.0.1', MAX_OPEN_BOOKINGS_PER_USER: 3, IDEMPOTENCY_LEASE_SECONDS: 120 });
    expect(() => loadConfig({ ...base, REQUEST_NONCE_TTL_SECONDS: '60' })).toThrow(ConfigError);
  });
});
