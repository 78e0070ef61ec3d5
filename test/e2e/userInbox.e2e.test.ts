import { createNotifier } from '../../activities/notifications';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestTransitOperator, createTestTransitRider, testOperatorId } from '../helpers/transitFactories';

/**
 * The user's inbox and "my visits" through the real HTTP server, over rows as journeys write them
 * (notices by the notifier, visits and their read model), then what another user or a bad request gets.
 */
let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform({ env: { TRANSIT_FORWARD_OPERATORS: 'none' } });
});
afterAll(async () => {
  await p?.stop();
});

async function user(): Promise<{ userId: string; userRef: string }> {
  const op = await createTestTransitOperator(p.services.db, (s) => p.services.pii.encrypt(s), { id: testOperatorId() });
  const rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
  const rows: Array<{ user_ref: string }> = await p.services.db.query('SELECT user_ref FROM users WHERE id = $1', [rider.userId]);
  return { userId: rider.userId, userRef: rows[0]!.user_ref };
}

async function call<T>(userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': userId, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Page {
  notices: Array<{ noticeId: string; institutionId: string; kind: string; data: Record<string, unknown>; readAt: string | null }>;
  unreadCount: number;
  nextCursor: string | null;
  errors?: Array<{ field: string }>;
}

it("pages a user's notices newest first, filters them, counts and marks them read", async () => {
  const me = await user();
  const other = await user();
  const notifier = createNotifier(p.services.db);
  const sent = [
    { journeyId: 'hospital-visit/hosp-a/B1', kind: 'booked', key: '' },
    { journeyId: 'hospital-visit/hosp-a/B1', kind: 'turn_near', key: '' },
    { journeyId: 'hospital-visit/hosp-a/B1', kind: 'results_ready', key: 'O1' },
    { journeyId: 'transit-day/metro-x/r1/2026-12-04', kind: 'day_charged', key: '' },
    { journeyId: 'hospital-visit/hosp-b/B2', kind: 'booked', key: '' },
  ];
  for (const n of sent) await notifier.notify({ userRef: me.userRef, ...n, data: { amountMinor: 2500 } });
  await notifier.notify({ userRef: other.userRef, journeyId: 'hospital-visit/hosp-a/B9', kind: 'booked', key: '', data: {} });
  // A retried activity sends the same notice again: still one.
  await notifier.notify({ userRef: me.userRef, ...sent[0]!, data: { amountMinor: 2500 } });

  const first = await call<Page>(me.userId, 'GET', '/v1/users/me/notices?limit=2');
  expect(first.status).toBe(200);
  expect(first.body.notices.map((n) => n.kind)).toEqual(['booked', 'day_charged']);
  expect(first.body.notices[0]).toMatchObject({ institutionId: 'hosp-b', data: { amountMinor: 2500 }, readAt: null });
  expect(first.body.unreadCount).toBe(5);
  const second = await call<Page>(me.userId, 'GET', `/v1/users/me/notices?limit=2&cursor=${first.body.nextCursor}`);
  expect(second.body.notices.map((n) => n.kind)).toEqual(['results_ready', 'turn_near']);
  const last = await call<Page>(me.userId, 'GET', `/v1/users/me/notices?limit=2&cursor=${second.body.nextCursor}`);
  expect(last.body).toMatchObject({ nextCursor: null });
  expect(last.body.notices.map((n) => n.kind)).toEqual(['booked']);

  const hospA = await call<Page>(me.userId, 'GET', '/v1/users/me/notices?institution=hosp-a');
  expect(hospA.body.notices.map((n) => n.kind)).toEqual(['results_ready', 'turn_near', 'booked']);
  const results = await call<Page>(me.userId, 'GET', '/v1/users/me/notices?kind=results_ready');
  expect(results.body.notices).toHaveLength(1);
  const inWords = await call<Page & { notices: Array<{ text?: string }> }>(
    me.userId,
    'GET',
    '/v1/users/me/notices?kind=cancelled&locale=en',
  );
  expect(inWords.body.notices).toEqual([]);
  const english = await call<{ notices: Array<{ kind: string; text?: string }> }>(
    me.userId,
    'GET',
    '/v1/users/me/notices?limit=1&locale=en',
  );
  expect(english.body.notices[0]).toMatchObject({ kind: 'booked', text: expect.stringMatching(/^Booked for /) });
  expect(results.body.notices[0]).not.toHaveProperty('text');

  const marked = await call<{ marked: number; unreadCount: number }>(me.userId, 'POST', '/v1/users/me/notices/read', {
    noticeIds: [results.body.notices[0]!.noticeId],
  });
  expect(marked.body).toEqual({ marked: 1, unreadCount: 4 });
  const unread = await call<Page>(me.userId, 'GET', '/v1/users/me/notices?unread=true');
  expect(unread.body.notices.map((n) => n.kind)).not.toContain('results_ready');
  const all = await call<{ marked: number; unreadCount: number }>(me.userId, 'POST', '/v1/users/me/notices/read', {
    upTo: first.body.notices[0]!.noticeId,
  });
  expect(all.body).toEqual({ marked: 4, unreadCount: 0 });
  // Someone else's id changes nothing for them, and nothing of theirs shows here.
  const theirs = await call<Page>(other.userId, 'GET', '/v1/users/me/notices');
  expect(theirs.body).toMatchObject({ unreadCount: 1 });
  expect(theirs.body.notices.map((n) => n.institutionId)).toEqual(['hosp-a']);
  const foreign = await call<{ marked: number }>(other.userId, 'POST', '/v1/users/me/notices/read', {
    noticeIds: [first.body.notices[0]!.noticeId],
  });
  expect(foreign.body.marked).toBe(0);
});

it("lists the user's visits with the stage, amount due and what to do next", async () => {
  const me = await user();
  const db = p.services.db;
  const visit = async (ref: string, stage: string, status: object | null, createdAt: string) => {
    await db.query(
      `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage, created_at)
       VALUES ($1, 'hosp-a', $2, $3, $4, 'D1', $5, $6, $7)`,
      [ref, me.userId, p.partner.id, `slot-${ref}`, `hospital-visit/hosp-a/${ref}`, stage, createdAt],
    );
    if (status) {
      await db.query(`INSERT INTO visit_views (booking_ref, institution_id, stage, status, seq) VALUES ($1, 'hosp-a', $2, $3, 1)`, [
        ref,
        stage,
        JSON.stringify(status),
      ]);
    }
  };
  const status = (o: object) => ({
    slotStartMs: Date.UTC(2026, 11, 6, 1),
    amountDueMinor: 0,
    currency: 'CNY',
    registration: { status: 'paid' },
    orders: [],
    resultOrderIds: [],
    ...o,
  });
  await visit('V1', 'closed', status({ resultOrderIds: ['O1'] }), '2026-12-01T00:00:00Z');
  await visit(
    'V2',
    'called',
    status({ amountDueMinor: 1800, orders: [{ orderId: 'O2', status: 'awaiting_payment' }] }),
    '2026-12-02T00:00:00Z',
  );
  await visit('V3', 'holding', null, '2026-12-03T00:00:00Z');

  const mine = await call<{ visits: Array<Record<string, unknown>> }>(me.userId, 'GET', '/v1/users/me/visits');
  expect(mine.status).toBe(200);
  expect(mine.body.visits).toEqual([
    { bookingRef: 'V3', institutionId: 'hosp-a', stage: 'holding', slotStart: null, amountDue: 0, currency: null, nextAction: null },
    {
      bookingRef: 'V2',
      institutionId: 'hosp-a',
      stage: 'called',
      slotStart: '2026-12-06T01:00:00.000Z',
      amountDue: 1800,
      currency: 'CNY',
      nextAction: 'pay_order',
    },
    {
      bookingRef: 'V1',
      institutionId: 'hosp-a',
      stage: 'closed',
      slotStart: '2026-12-06T01:00:00.000Z',
      amountDue: 0,
      currency: 'CNY',
      nextAction: 'read_results',
    },
  ]);
  const someoneElse = await user();
  expect((await call<{ visits: unknown[] }>(someoneElse.userId, 'GET', '/v1/users/me/visits')).body.visits).toEqual([]);
});

it('refuses bad cursors, limits and mark-read bodies naming the field, and requests without a user', async () => {
  const me = await user();
  for (const [q, field] of [
    ['cursor=abc', 'query.cursor'],
    ['limit=0', 'query.limit'],
    ['limit=1000', 'query.limit'],
    ['unread=yes', 'query.unread'],
    ['locale=fr', 'query.locale'],
  ] as const) {
    const r = await call<Page>(me.userId, 'GET', `/v1/users/me/notices?${q}`);
    expect(r.status).toBe(422);
    expect(r.body.errors?.map((e) => e.field)).toContain(field);
  }
  for (const body of [{}, { noticeIds: [], upTo: '1' }, { noticeIds: ['x'] }, { upTo: '1', extra: true }]) {
    const r = await call<Page>(me.userId, 'POST', '/v1/users/me/notices/read', body);
    expect(r.status).toBe(422);
    expect(r.body.errors?.length).toBeGreaterThan(0);
  }
  const anonymous = await fetch(`${p.api.url}/v1/users/me/notices`, { headers: { authorization: `Bearer ${p.partner.apiKey}` } });
  expect(anonymous.status).toBe(401);
});
