import { createNotifier } from '../../activities/notifications';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../api/webhooks/dispatcher';
import { recentAudit } from '../../db/repositories/audit';
import { deleteEndpoint, listEndpoints } from '../../db/repositories/webhookEndpoints';
import { createLogger } from '../../platform/logger';
import { startReceiverSimulator, type ReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestTransitOperator, createTestTransitRider, testOperatorId } from '../helpers/transitFactories';

/**
 * Partner webhooks with the dispatcher driven by a clock the test moves: an hour-long receiver outage,
 * a receiver that hangs after applying (so the event comes again), a 410, three days of failures and
 * replay take milliseconds, and every figure is read from the receiver and the outbox. The platform's
 * own dispatcher is off (WEBHOOK_DISPATCH_PARTNERS=none) so only the test's clock decides when attempts happen;
 * the hospital e2e (hospitalWebhooks) covers delivery by the API processes in real time.
 */
let p: TestPlatform;
let clockMs = Date.now();
const clock = () => clockMs;
let dispatcher: WebhookDispatcher;
const receivers: ReceiverSimulator[] = [];

beforeAll(async () => {
  p = await startTestPlatform({ env: { TRANSIT_FORWARD_OPERATORS: 'none', WEBHOOK_DISPATCH_PARTNERS: 'none' } });
  dispatcher = startWebhookDispatcher({
    db: p.services.db,
    cipher: p.services.pii,
    logger: createLogger({ level: process.env.WEBHOOK_TEST_LOG ?? 'silent', name: 'webhooks-test' }),
    clock,
    autoRun: false,
    partners: [p.partner.id], // the run's other test files share the database
    timeoutMs: 300,
    concurrency: 8,
    pauseAfterSeconds: 86_400,
    pollMs: 1_000,
  });
});
// The outbox stamps rows with the database's clock and the routes use the real one: each test starts
// the moved clock just ahead of both (earlier tests' deliveries are deleted, so it may go back).
beforeEach(() => {
  clockMs = Date.now() + 1_000;
});
afterAll(async () => {
  await dispatcher?.stop();
  for (const r of receivers) await r.close();
  await p?.stop();
});

async function api<T>(method: string, path: string, body?: unknown, apiKey = p.partner.apiKey): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface Endpoint {
  endpointId: string;
  secret: string;
  status: string;
  pausedReason: string | null;
}

/** The partner's receivers, each with one endpoint; earlier ones are removed so events go to this one only. */
async function receiverWithEndpoint(eventTypes: string[] = []): Promise<{ r: ReceiverSimulator; endpoint: Endpoint }> {
  for (const e of await listEndpoints(p.services.db, p.partner.id)) await deleteEndpoint(p.services.db, p.partner.id, e.id);
  const r = await startReceiverSimulator({ now: clock });
  receivers.push(r);
  const created = await api<Endpoint>('POST', '/v1/partner/webhooks/endpoints', { url: r.url, eventTypes });
  expect(created.status).toBe(201);
  r.secrets = [created.body.secret];
  return { r, endpoint: created.body };
}

async function users(n: number): Promise<Array<{ userId: string; userRef: string }>> {
  const op = await createTestTransitOperator(p.services.db, (s) => p.services.pii.encrypt(s), { id: testOperatorId() });
  const out = [];
  for (let i = 0; i < n; i++) {
    const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    const rows: Array<{ user_ref: string }> = await p.services.db.query('SELECT user_ref FROM users WHERE id = $1', [rider.userId]);
    out.push({ userId: rider.userId, userRef: rows[0]!.user_ref });
  }
  return out;
}

async function statuses(): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: number }> = await p.services.db.query(
    `SELECT d.status, count(*)::int AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE e.partner_id = $1 GROUP BY d.status`,
    [p.partner.id],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Moves the clock in steps, letting the dispatcher attempt whatever is due at each. */
async function advance(totalMs: number, stepMs: number): Promise<number> {
  let attempts = 0;
  for (let t = 0; t < totalMs; t += stepMs) {
    clockMs += stepMs;
    attempts += await dispatcher.drain();
  }
  return attempts;
}

const notifier = () => createNotifier(p.services.db);

it('survives an hour-long receiver outage: every event arrives signed, once per de-duplicating receiver, each user in sequence', async () => {
  const { r } = await receiverWithEndpoint();
  const people = await users(3);
  const send = async (round: number) => {
    for (const u of people)
      await notifier().notify({
        userRef: u.userRef,
        journeyId: `hospital-visit/hosp-w/B-${u.userId}`,
        kind: 'booked',
        key: `r${round}`,
        data: { round },
      });
  };

  r.mode = { kind: 'fail' };
  await send(1);
  expect(await dispatcher.drain()).toBe(3); // tried at once, refused by the receiver
  // An hour of outage, with new events arriving through it; nothing is lost or given up.
  for (let round = 2; round <= 4; round++) {
    await send(round);
    await advance(20 * 60_000, 60_000);
  }
  expect(await statuses()).toEqual({ pending: 12 });
  expect(r.applied).toHaveLength(0);
  const during = await api<{ endpoints: Endpoint[] }>('GET', '/v1/partner/webhooks/endpoints');
  expect(during.body.endpoints[0]).toMatchObject({ status: 'active', pausedReason: null }); // an hour is not enough to pause

  // The receiver comes back but hangs after applying: the attempts time out and count as failed,
  // so the same events arrive again later with the same ids.
  r.mode = { kind: 'hang' };
  clockMs += 4 * 3_600_000;
  expect(await dispatcher.drain()).toBe(12);
  expect(r.applied).toHaveLength(12);
  r.mode = { kind: 'ok' };
  await advance(3 * 3_600_000, 10 * 60_000);

  expect(await statuses()).toEqual({ delivered: 12 });
  expect(r.refused).toBe(0);
  expect(r.received).toBeGreaterThanOrEqual(24); // every event twice: once hanging, once acknowledged
  expect(new Set(r.applied.map((e) => e.id)).size).toBe(12);
  for (const u of people) {
    const mine = r.applied.filter((e) => e.userId === u.userId);
    expect(mine.map((e) => e.sequence).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(mine.map((e) => (e.data['data'] as { round: number }).round).sort()).toEqual([1, 2, 3, 4]);
    expect(mine.every((e) => e.type === 'notice.created' && e.data['kind'] === 'booked')).toBe(true);
  }
  // The event carries the partner's own user id and ids, never the user's PII or internal ref.
  expect(JSON.stringify(r.applied)).not.toContain(people[0]!.userRef);
});

it('delivers journey stage changes to endpoints that want them, and only those types', async () => {
  const { r } = await receiverWithEndpoint(['rider_day.stage_changed']);
  const op = await createTestTransitOperator(p.services.db, (s) => p.services.pii.encrypt(s), { id: testOperatorId() });
  const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
  const refs: Array<{ user_ref: string }> = await p.services.db.query('SELECT user_ref FROM users WHERE id = $1', [rider.userId]);
  const { riderRef } = rider;
  const userRef = refs[0]!.user_ref;
  const view = (stage: string, seq: number) =>
    p.services.db.query(
      `INSERT INTO rider_day_views (operator_id, rider_ref, service_day, stage, revision, seq, view) VALUES ($1, $2, '2026-12-01', $3, 1, $4, '{}')
       ON CONFLICT (operator_id, rider_ref, service_day) DO UPDATE SET stage = EXCLUDED.stage, seq = EXCLUDED.seq`,
      [op.id, riderRef, stage, seq],
    );
  await view('priced', 1);
  await view('priced', 2); // the same stage again: no event
  await view('settled', 3);
  await notifier().notify({ userRef, journeyId: `transit-day/${op.id}/${riderRef}/2026-12-01`, kind: 'day_charged', key: '', data: {} });
  await dispatcher.drain();
  expect(r.applied.map((e) => [e.type, e.sequence, e.data['stage']])).toEqual([
    ['rider_day.stage_changed', 1, 'priced'],
    ['rider_day.stage_changed', 2, 'settled'],
  ]);
  expect(r.applied[0]!.data).toEqual({ operatorId: op.id, serviceDay: '2026-12-01', stage: 'priced', revision: 1 });
});

it('pauses an endpoint that answers 410, tells the partner, and sends what waited once resumed', async () => {
  const { r, endpoint } = await receiverWithEndpoint();
  const [u] = await users(1);
  r.mode = { kind: 'gone' };
  await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-g/B1', kind: 'booked', key: '', data: {} });
  await dispatcher.drain();
  const listed = await api<{ endpoints: Endpoint[] }>('GET', '/v1/partner/webhooks/endpoints');
  expect(listed.body.endpoints).toEqual([
    expect.objectContaining({ endpointId: endpoint.endpointId, status: 'paused', pausedReason: 'gone' }),
  ]);
  expect(await recentAudit(p.services.db, { action: 'webhook.endpoint.paused', subject: endpoint.endpointId })).toHaveLength(1);

  // Paused: nothing is attempted, however much time passes; the event waits.
  await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-g/B1', kind: 'paid', key: '', data: {} });
  expect(await advance(3_600_000, 600_000)).toBe(0);
  r.mode = { kind: 'ok' };
  expect((await api('POST', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}/resume`)).status).toBe(200);
  await dispatcher.drain();
  expect(r.applied.map((e) => e.data['kind'])).toEqual(['booked', 'paid']);
  expect(await statuses()).toEqual({ delivered: 2 });
});

it('gives up after three days, lists the failures, and replays one or all since a time', async () => {
  const { r, endpoint } = await receiverWithEndpoint();
  const [u] = await users(1);
  r.mode = { kind: 'fail' };
  for (const kind of ['booked', 'paid', 'checked_in'])
    await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-f/B1', kind, key: '', data: {} });
  const giveUpFrom = clockMs;
  await dispatcher.drain();
  // The pause threshold is a day: this endpoint is paused before the three days are up.
  await advance(4 * 86_400_000, 3_600_000);
  const ep = await api<{ endpoints: Endpoint[] }>('GET', '/v1/partner/webhooks/endpoints');
  expect(ep.body.endpoints[0]).toMatchObject({ status: 'paused', pausedReason: 'failing' });
  await api('POST', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}/resume`);
  await advance(4 * 86_400_000, 6 * 3_600_000);
  expect(await statuses()).toEqual({ failed: 3 });

  interface Page {
    deliveries: Array<{ deliveryId: string; eventId: string; status: string; attempts: number; lastHttpStatus: number | null }>;
  }
  const failed = await api<Page>('GET', '/v1/partner/webhooks/deliveries?status=failed');
  expect(failed.body.deliveries).toHaveLength(3);
  expect(failed.body.deliveries.every((d) => d.attempts > 5 && d.lastHttpStatus === 500)).toBe(true);

  r.mode = { kind: 'ok' };
  const one = failed.body.deliveries[2]!;
  expect((await api('POST', `/v1/partner/webhooks/deliveries/${one.deliveryId}/replay`)).body).toEqual({ replayed: 1 });
  expect((await api('POST', `/v1/partner/webhooks/deliveries/${one.deliveryId}/replay`)).status).toBe(404); // no longer failed
  await dispatcher.drain();
  expect(r.applied.map((e) => e.id)).toEqual([one.eventId]);
  const all = await api<{ replayed: number }>('POST', '/v1/partner/webhooks/replay', { since: new Date(giveUpFrom).toISOString() });
  expect(all.body).toEqual({ replayed: 2 });
  await dispatcher.drain();
  expect(r.applied.map((e) => e.data['kind']).sort()).toEqual(['booked', 'checked_in', 'paid']);
  expect(await statuses()).toEqual({ delivered: 3 });
});

it('signs with both secrets while one is rotated, so either verifies', async () => {
  const { r, endpoint } = await receiverWithEndpoint();
  const [u] = await users(1);
  const oldSecret = r.secrets[0]!;
  const rotated = await api<{ secret: string; previousSecretUntil: string }>(
    'POST',
    `/v1/partner/webhooks/endpoints/${endpoint.endpointId}/rotate-secret`,
  );
  expect(rotated.status).toBe(200);
  expect(rotated.body.secret).not.toBe(oldSecret);
  r.secrets = [oldSecret]; // the partner has not deployed the new secret yet
  await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-s/B1', kind: 'booked', key: '', data: {} });
  await dispatcher.drain();
  r.secrets = [rotated.body.secret]; // now it has
  await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-s/B1', kind: 'paid', key: '', data: {} });
  await dispatcher.drain();
  expect(r.applied).toHaveLength(2);
  // A day later the old secret no longer signs: a receiver still holding only it refuses.
  clockMs += 25 * 3_600_000;
  r.secrets = [oldSecret];
  await notifier().notify({ userRef: u!.userRef, journeyId: 'hospital-visit/hosp-s/B1', kind: 'checked_in', key: '', data: {} });
  await dispatcher.drain();
  expect(r.applied).toHaveLength(2);
  expect(r.refused).toBe(1);
});

it('refuses bad endpoints and requests with a problem naming the field, and keeps partners apart', async () => {
  const bad = async (body: unknown) =>
    api<{ status: number; errors?: Array<{ field: string }> }>('POST', '/v1/partner/webhooks/endpoints', body);
  const creds = await bad({ url: 'https://user:pw@example.com/hook' });
  expect(creds.status).toBe(422);
  expect(creds.body.errors?.map((e) => e.field)).toEqual(['body.url']);
  expect((await bad({ url: 'ftp://example.com/hook' })).status).toBe(422);
  expect((await bad({ url: 'not a url' })).body.errors?.[0]?.field).toMatch(/url/);
  expect((await bad({ url: 'https://example.com/h', eventTypes: ['money.taken'] })).body.errors?.[0]?.field).toMatch(/eventTypes/);
  expect((await bad({ url: 'https://example.com/h', extra: 1 })).status).toBe(422);
  expect((await bad({ url: `https://example.com/${'a'.repeat(3_000)}` })).status).toBe(422);
  expect((await api('POST', '/v1/partner/webhooks/endpoints', '{"url":', p.partner.apiKey)).status).toBe(422);
  expect((await api('GET', '/v1/partner/webhooks/endpoints', undefined, 'no-such-key')).status).toBe(401);
  expect((await api('POST', '/v1/partner/webhooks/endpoints/not-a-uuid/resume')).status).toBe(422);
  expect((await api('POST', '/v1/partner/webhooks/deliveries/1e9/replay')).status).toBe(422);
  expect((await api('POST', '/v1/partner/webhooks/replay', { since: 'yesterday' })).status).toBe(422);

  // Another partner cannot see, rotate, resume or replay this partner's endpoints.
  const { endpoint } = await receiverWithEndpoint();
  const otherKey = `other-${Date.now()}`;
  const { hashApiKey } = await import('../../api/auth/middleware');
  await p.services.db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
    `op-${Date.now()}`,
    'Other',
    hashApiKey(otherKey),
  ]);
  expect((await api<{ endpoints: unknown[] }>('GET', '/v1/partner/webhooks/endpoints', undefined, otherKey)).body.endpoints).toEqual([]);
  expect((await api('POST', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}/rotate-secret`, undefined, otherKey)).status).toBe(404);
  expect((await api('POST', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}/resume`, undefined, otherKey)).status).toBe(404);
  expect(
    (await api<{ replayed: number }>('POST', '/v1/partner/webhooks/replay', { since: '2000-01-01T00:00:00Z' }, otherKey)).body,
  ).toEqual({
    replayed: 0,
  });
  expect((await api('DELETE', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}`, undefined, otherKey)).status).toBe(404);
  // At most five endpoints per partner; removing one makes room.
  for (let i = 0; i < 4; i++) expect((await bad({ url: `https://example.com/h${i}` })).status).toBe(201);
  expect((await bad({ url: 'https://example.com/h9' })).status).toBe(409);
  expect((await api('DELETE', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}`)).body).toEqual({ deleted: true });
  expect((await api('DELETE', `/v1/partner/webhooks/endpoints/${endpoint.endpointId}`)).status).toBe(404);
  expect((await bad({ url: 'https://example.com/h9' })).status).toBe(201);
});
