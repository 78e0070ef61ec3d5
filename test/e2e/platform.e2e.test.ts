import { startTestPlatform, TEST_KEYS, type TestPlatform } from '../helpers/platform';

/** The platform's own surface: health, readiness, OpenAPI, problem+json, codec server. */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

describe('platform surface', () => {
  it('answers /healthz and /readyz (database and Temporal reachable)', async () => {
    const health = await fetch(`${p.api.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${p.api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    expect(ready.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('documents every route it serves in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${p.api.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    for (const route of [
      'POST /v1/users',
      'GET /v1/users/me',
      'POST /v1/payments/notifications',
      'GET /v1/operator/reconciliation/{date}',
      'POST /codec/decode',
      'GET /readyz',
    ]) {
      expect(documented).toContain(route);
    }
    // Every documented operation answers something other than the catch-all 404.
    for (const op of documented) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await fetch(`${p.api.url}${path.replace(/\{[^}]+\}/g, '2026-01-01')}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as { detail?: string }) : {};
      expect(`${op} ${res.status} ${body.detail ?? ''}`).not.toMatch(/no route for/);
    }
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const res = await fetch(`${p.api.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found', type: expect.stringContaining('not-found') });
  });

  it('serves the codec endpoint to operators only, with CORS for the Web UI', async () => {
    const [encoded] = await p.services.codec.encode([
      { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"hello"') },
    ]);
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encoded?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
          ),
          data: Buffer.from(encoded?.data ?? []).toString('base64'),
        },
      ],
    });
    const anonymous = await fetch(`${p.api.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${p.api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body,
    });
    expect(wrong.status).toBe(403);
    const ok = await fetch(`${p.api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEYS.operatorToken}`, origin: 'http://localhost:8233' },
      body,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = (await ok.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(decoded.payloads[0]?.data ?? '', 'base64').toString()).toBe('"hello"');
    const preflight = await fetch(`${p.api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const foreign = await fetch(`${p.api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
  });

  it('serves Prometheus metrics on their own listener only, not on the API port', async () => {
    expect(p.api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(p.api.metricsUrl ?? '');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('process_cpu_user_seconds_total');
    const onApi = await fetch(`${p.api.url}/metrics`);
    expect(onApi.status).toBe(404);
    expect(await onApi.text()).not.toContain('process_cpu_user_seconds_total');
  });
});
