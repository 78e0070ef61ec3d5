import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { Payload } from '@temporalio/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { recentAudit, writeAudit } from '../../db/repositories/audit';
import { startApi, type RunningApi } from '../../api/server';
import { generateKeyPairs } from '../../integrations/payment/simulator';
import { startCodecListener, type CodecListener } from '../../platform/codecServerListener';
import { openServices, type Services } from '../../platform/services';
import { testEnv, TEST_KEYS } from '../helpers/platform';

/**
 * Who may use the codec server, over real HTTP: the API's `/codec` with an operator token or the Web
 * UI's OIDC access token (checked against a JWKS this test serves, for a key pair it generates), and
 * the loopback operator listener with no token but only from the Web UI's origin. Every answered
 * request is in the audit log, without payload content; hostile bodies get a 4xx, never a 5xx.
 */
const ISSUER = 'https://idp.test.invalid/realms/ops';
const AUDIENCE = 'temporal-ui';
const UI_ORIGIN = 'http://localhost:8233';
const enc = new TextEncoder();

let jwksServer: Server;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let services: Services;
let api: RunningApi;
let listener: CodecListener;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address();
  const jwksPort = typeof address === 'object' && address ? address.port : 0;
  const payment = await generateKeyPairs();
  const config = testEnv({
    PAYMENT_APP_PRIVATE_KEY: payment.app.privateKeyPem,
    PAYMENT_PLATFORM_PUBLIC_KEY: payment.platform.publicKeyPem,
    CODEC_OIDC_ISSUER: ISSUER,
    CODEC_OIDC_AUDIENCE: AUDIENCE,
    CODEC_OIDC_JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks.json`,
    CODEC_OIDC_ROLE_CLAIM: 'groups',
    CODEC_OIDC_ROLE: 'causeway-operators',
    CODEC_CORS_ORIGINS: UI_ORIGIN,
  });
  services = await openServices(config, 'codec-access-test');
  api = await startApi(services, 0, { mllpPort: null });
  listener = await startCodecListener({
    port: 0,
    codec: services.codec,
    corsOrigins: [UI_ORIGIN],
    audit: (e) => writeAudit(services.db, e),
    maxBodyBytes: 64 * 1024,
    maxPayloads: 10,
    logger: services.logger,
  });
});

afterAll(async () => {
  await listener?.close();
  await api?.close();
  await services?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

function b64(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString('base64');
}

async function encryptedBody(text: string): Promise<string> {
  const [p] = await services.codec.encode([{ metadata: { encoding: enc.encode('json/plain') }, data: enc.encode(JSON.stringify(text)) }]);
  return JSON.stringify({ payloads: [wire(p as Payload)] });
}

function wire(p: Payload): { metadata: Record<string, string>; data: string } {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) };
}

async function token(over: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number; groups?: unknown; sub?: string } = {}) {
  return new SignJWT({ groups: 'groups' in over ? over.groups : ['staff', 'causeway-operators'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(over.sub ?? 'ops-user-1')
    .setIssuer(over.iss ?? ISSUER)
    .setAudience(over.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(over.exp ?? '5m')
    .sign(over.key ?? signingKey);
}

async function decodeVia(base: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function decodedText(res: Response): Promise<string> {
  const out = (await res.json()) as { payloads: Array<{ data: string }> };
  return Buffer.from(out.payloads[0]?.data ?? '', 'base64').toString('utf8');
}

describe("the API's /codec", () => {
  it('decodes for an operator token and for an OIDC access token with the operator role, and audits both without content', async () => {
    const secret = `audit-must-not-hold-${randomUUID()}`;
    const body = await encryptedBody(secret);
    const workflowId = `wf-${randomUUID()}`;
    const byToken = await decodeVia(`${api.url}/codec`, body, {
      authorization: `Bearer ${TEST_KEYS.operatorToken}`,
      'x-namespace': 'default',
      'x-workflow-id': workflowId,
    });
    expect(byToken.status).toBe(200);
    expect(await decodedText(byToken)).toBe(JSON.stringify(secret));
    const byOidc = await decodeVia(`${api.url}/codec`, body, {
      authorization: `Bearer ${await token()}`,
      origin: UI_ORIGIN,
      'x-namespace': 'default',
    });
    expect(byOidc.status).toBe(200);
    expect(byOidc.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(await decodedText(byOidc)).toBe(JSON.stringify(secret));

    const audit = await recentAudit(services.db, { action: 'codec.decode', limit: 20 });
    expect(audit.find((a) => a.subject === `workflow:${workflowId}`)).toMatchObject({
      actor: 'operator:operator-1',
      details: expect.objectContaining({ payloads: 1, decrypted: 1, namespace: 'default', via: 'api' }),
    });
    expect(audit.find((a) => a.actor === 'operator:oidc:ops-user-1')).toMatchObject({
      subject: 'namespace:default',
      details: expect.objectContaining({ payloads: 1, decrypted: 1, origin: UI_ORIGIN }),
    });
    const stored = JSON.stringify(audit);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64').slice(0, 16));
  });

  it('refuses every token that is not an operator token or a valid OIDC access token with the role', async () => {
    const body = await encryptedBody('x');
    const none = await decodeVia(`${api.url}/codec`, body);
    expect(none.status).toBe(401);
    const header = { alg: 'none', typ: 'JWT' };
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'x', groups: ['causeway-operators'], exp: Math.floor(Date.now() / 1000) + 300 };
    const unsigned = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const refused: Record<string, string> = {
      'wrong static token': 'not-the-operator-token',
      'signed by another key': await token({ key: strangerKey }),
      expired: await token({ exp: Math.floor(Date.now() / 1000) - 3600 }),
      'other issuer': await token({ iss: 'https://evil.example' }),
      'other audience': await token({ aud: 'some-other-app' }),
      'no operator role': await token({ groups: ['staff'] }),
      'role as a mere substring': await token({ groups: 'causeway-operators-readonly' }),
      'alg none': unsigned,
      'alg none with a signature part': `${unsigned}AAAA`,
    };
    for (const [why, t] of Object.entries(refused)) {
      const res = await decodeVia(`${api.url}/codec`, body, { authorization: `Bearer ${t}` });
      expect(`${why}: ${res.status}`).toBe(`${why}: 403`);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.text()).not.toContain('"payloads"');
    }
  });

  it('refuses a browser request from any origin but the Web UI, preflight or not', async () => {
    const body = await encryptedBody('x');
    const foreign = await decodeVia(`${api.url}/codec`, body, {
      authorization: `Bearer ${TEST_KEYS.operatorToken}`,
      origin: 'http://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers hostile bodies with a 4xx problem, never a 5xx or payload bytes, and keeps serving', async () => {
    const auth = { authorization: `Bearer ${TEST_KEYS.operatorToken}` };
    const [good] = await services.codec.encode([{ metadata: {}, data: enc.encode('"x"') }]);
    const tampered = wire(good as Payload);
    tampered.data = Buffer.from(Buffer.from(tampered.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64');
    const unknownKey = {
      ...wire(good as Payload),
      metadata: { ...wire(good as Payload).metadata, 'encryption-key-id': b64(enc.encode('nope')) },
    };
    const bodies: Array<[string, string, string]> = [
      ['not JSON', 'application/json', '{"payloads": ['],
      ['text/plain', 'text/plain', JSON.stringify({ payloads: [] })],
      ['no payloads', 'application/json', '{}'],
      ['payloads not a list', 'application/json', '{"payloads": "x"}'],
      ['data not base64', 'application/json', JSON.stringify({ payloads: [{ data: '%%%' }] })],
      ['too many payloads', 'application/json', JSON.stringify({ payloads: Array.from({ length: 1001 }, () => ({})) })],
      ['too large', 'application/json', JSON.stringify({ payloads: [{ data: 'A'.repeat(300 * 1024) }] })],
      ['tampered ciphertext', 'application/json', JSON.stringify({ payloads: [tampered] })],
      ['unknown key id', 'application/json', JSON.stringify({ payloads: [unknownKey] })],
      ['truncated ciphertext', 'application/json', JSON.stringify({ payloads: [{ ...tampered, data: 'AAAA' }] })],
    ];
    for (const [why, type, body] of bodies) {
      const res = await fetch(`${api.url}/codec/decode`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
      expect(`${why}: ${res.status >= 400 && res.status < 500}`).toBe(`${why}: true`);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });
});

/** A raw request, so the Host header can be what a DNS-rebinding page would send. */
function rawPost(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/decode', method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the operator codec listener', () => {
  it('is bound to 127.0.0.1 only and decodes with no token for the Web UI origin, audited', async () => {
    expect(new URL(listener.url).hostname).toBe('127.0.0.1');
    const secret = `listener-${randomUUID()}`;
    const res = await decodeVia(listener.url, await encryptedBody(secret), { origin: UI_ORIGIN, 'x-namespace': 'default' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(await decodedText(res)).toBe(JSON.stringify(secret));
    const audit = await recentAudit(services.db, { action: 'codec.decode', limit: 5 });
    expect(audit[0]).toMatchObject({
      actor: 'operator:loopback',
      details: expect.objectContaining({ via: 'operator-listener', payloads: 1 }),
    });
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('refuses other origins, rebinding Host names, non-JSON and oversized bodies', async () => {
    const body = await encryptedBody('x');
    expect((await decodeVia(listener.url, body, { origin: 'http://evil.example' })).status).toBe(403);
    const rebound = await rawPost(listener.port, { host: `evil.example:${listener.port}` }, body);
    expect(rebound.status).toBe(403);
    expect(rebound.text).not.toContain('"payloads"');
    const plain = await fetch(`${listener.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: UI_ORIGIN },
      body,
    });
    expect(plain.status).toBe(422);
    const huge = await decodeVia(listener.url, JSON.stringify({ payloads: [{ data: 'A'.repeat(128 * 1024) }] }));
    expect(huge.status).toBe(422);
    expect(await huge.text()).toContain('too large');
    const many = await decodeVia(listener.url, JSON.stringify({ payloads: Array.from({ length: 11 }, () => ({})) }));
    expect(many.status).toBe(422);
    expect((await decodeVia(listener.url, body)).status).toBe(200);
  });

  it('answers no decode it could not write to the audit log', async () => {
    const failing = await startCodecListener({
      port: 0,
      codec: services.codec,
      corsOrigins: [UI_ORIGIN],
      audit: () => Promise.reject(new Error('audit log unavailable')),
      maxBodyBytes: 64 * 1024,
      maxPayloads: 10,
      logger: services.logger,
    });
    try {
      const secret = `unaudited-${randomUUID()}`;
      const res = await decodeVia(failing.url, await encryptedBody(secret));
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain(Buffer.from(JSON.stringify(secret)).toString('base64'));
    } finally {
      await failing.close();
    }
  });
});
