import { randomUUID } from 'node:crypto';
import { createNotifier } from '../../activities/notifications';
import { signRequest } from '../../domain/requestSignature';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { openNoticeStream, type OpenNoticeStream } from '../helpers/noticeStream';
import { until } from '../helpers/poll';
import { createTestTransitOperator, createTestTransitRider, type TestOperator } from '../helpers/transitFactories';

/**
 * The service window live: a real visit's notices in the user's inbox and on their event stream
 * (resumed by Last-Event-ID without loss or repeats), mutes that hide an institution's announcements
 * but never a journey's notices, and announcements from signed institutions: idempotent, rate limited,
 * for themselves only, templates without free text.
 */
let d: HospitalDriver;
let op: TestOperator;
const HOSPITAL_SECRET = 'hospital-secret';
const PER_DAY = 3;
const open: OpenNoticeStream[] = [];

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 1,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 3,
    },
    env: { ANNOUNCEMENTS_PER_DAY: String(PER_DAY), MAX_NOTICE_STREAMS_PER_USER: '2', NOTICE_STREAM_POLL_MS: '300' },
    replicas: { api: 2, workers: 1 },
  });
  op = await createTestTransitOperator(d.p.services.db, (s) => d.p.services.pii.encrypt(s));
});
afterAll(async () => {
  for (const s of open) s.close();
  await d?.stop();
});

async function stream(user: string, query = '', headers: Record<string, string> = {}, replica = 0): Promise<OpenNoticeStream> {
  const s = await openNoticeStream(`${d.p.apis[replica]!.url}/v1/users/me/notices/stream${query}`, {
    ...d.partnerHeaders(user),
    ...headers,
  });
  open.push(s);
  return s;
}

interface Notice {
  noticeId: string;
  kind: string;
  institutionId: string;
  data: Record<string, unknown>;
  text?: string;
}
const inbox = async (user: string, query = '') =>
  (await d.api<{ notices: Notice[]; unreadCount: number }>('GET', `/v1/users/me/notices${query}`, user)).body;

async function announce(
  institution: string,
  body: unknown,
  o: { secret?: string; signer?: string; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const path = `/v1/institutions/${institution}/announcements`;
  const raw = o.raw ?? JSON.stringify(body);
  const timestamp = String(Date.now());
  const nonce = randomUUID();
  const signer = o.signer ?? institution;
  const secret = o.secret ?? (signer === op.id ? op.secret : HOSPITAL_SECRET);
  const res = await fetch(`${d.p.api.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-causeway-institution': signer,
      'x-causeway-timestamp': timestamp,
      'x-causeway-nonce': nonce,
      'x-causeway-signature': signRequest(secret, 'POST', path, timestamp, nonce, raw),
    },
    body: raw,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const offer = (announcementId: string, amountMinor = 500) => ({
  announcementId,
  templateKey: 'offer',
  data: { amountMinor, startsAt: '2026-12-24T01:00:00Z', endsAt: '2026-12-26T10:00:00Z' },
});

it("streams a visit's notices as they are written, and a reconnect with Last-Event-ID resumes without loss or repeats", async () => {
  const user = await d.verifiedUser();
  // Opened before the visit exists: everything it gets was written after it connected.
  const first = await stream(user, '?locale=en');
  expect(first.status).toBe(200);
  const booked = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[0] });
  expect(booked.status).toBe(201);
  const ref = booked.body.bookingRef;
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  await until('the booked notice streamed', async () => first.events.some((e) => e.data.kind === 'booked'), { timeoutMs: 30_000 });
  const bookedEvent = first.events.find((e) => e.data.kind === 'booked')!;
  expect(bookedEvent.id).toBe(bookedEvent.data.noticeId);
  expect(bookedEvent.data).toMatchObject({
    institutionId: d.hospital,
    data: { bookingRef: ref },
    text: expect.stringMatching(/^Booked for /),
  });
  // The reminder follows at once (booked inside the lead time); wait for it so nothing more is coming.
  await until('the reminder written', async () => (await inbox(user)).notices.some((n) => n.kind === 'reminder'), { timeoutMs: 30_000 });
  first.close();
  const seenFirst = first.events.map((e) => e.id);
  const lastSeen = seenFirst.at(-1)!;

  // Written while the app is away (as a journey's activity writes them).
  const rows: Array<{ user_ref: string }> = await d.p.services.db.query('SELECT user_ref FROM users WHERE id = $1', [user]);
  const notifier = createNotifier(d.p.services.db);
  for (const key of ['O1', 'O2'])
    await notifier.notify({
      userRef: rows[0]!.user_ref,
      journeyId: `hospital-visit/${d.hospital}/${ref}`,
      kind: 'results_ready',
      key,
      data: { orderId: key },
    });

  // The browser reconnects to the same URL (its `after` is stale): Last-Event-ID wins. On the other replica.
  const second = await stream(user, '?after=0', { 'last-event-id': lastSeen }, 1);
  expect(second.status).toBe(200);
  const all = await until(
    'the inbox caught up on the stream',
    async () => {
      const ids = (await inbox(user, '?limit=100')).notices.map((n) => n.noticeId).reverse();
      const streamed = [...seenFirst, ...second.events.map((e) => e.id)];
      return ids.length >= 4 && ids.at(-1) === streamed.at(-1) ? ids : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const streamed = [...seenFirst, ...second.events.map((e) => e.id)];
  expect(streamed).toEqual(all); // every notice once, in order
  expect(second.events.every((e) => BigInt(e.id) > BigInt(lastSeen))).toBe(true);
  expect(second.events.filter((e) => e.data.kind === 'results_ready').map((e) => e.data.data['orderId'])).toEqual(['O1', 'O2']);

  // Live on the resumed stream too: a hospital announcement reaches this user (they have a visit there).
  const sent = await announce(d.hospital, offer(`h-${randomUUID().slice(0, 8)}`));
  expect(sent.status).toBe(200);
  expect(sent.body['recipients']).toBeGreaterThanOrEqual(1);
  await until('the announcement streamed', async () => second.events.some((e) => e.data.kind === 'announcement'), { timeoutMs: 10_000 });
  second.close();
});

it('mutes hide an institution’s announcements from the list, the stream and the unread count, never its journey notices', async () => {
  const db = d.p.services.db;
  const loyal = await createTestTransitRider(db, { operatorId: op.id, partnerId: d.p.partner.id });
  const muter = await createTestTransitRider(db, { operatorId: op.id, partnerId: d.p.partner.id });
  const before = await announce(op.id, offer('a-before'));
  expect(before.body).toMatchObject({ recipients: 2, replayed: false });

  const muted = await d.api<{ institutionId: string; mutedAt: string }>('PUT', `/v1/users/me/mutes/${op.id}`, muter.userId);
  expect(muted.status).toBe(200);
  const again = await d.api<{ mutedAt: string }>('PUT', `/v1/users/me/mutes/${op.id}`, muter.userId);
  expect(again.body.mutedAt).toBe(muted.body.mutedAt);
  expect((await d.api('GET', '/v1/users/me/mutes', muter.userId)).body).toEqual({
    mutes: [{ institutionId: op.id, mutedAt: muted.body.mutedAt }],
  });

  // An essential notice from the same institution (a transit day's charge) after the mute.
  const userRef = async (id: string) =>
    (await db.query<Array<{ user_ref: string }>>('SELECT user_ref FROM users WHERE id = $1', [id]))[0]!.user_ref;
  await createNotifier(db).notify({
    userRef: await userRef(muter.userId),
    journeyId: `transit-day/${op.id}/${muter.riderRef}/2026-12-04`,
    kind: 'day_charged',
    key: '',
    data: { amountMinor: 1500 },
  });
  const after = await announce(op.id, {
    announcementId: 'a-after',
    templateKey: 'service_closed',
    data: { startsAt: '2026-12-24T01:00:00Z', endsAt: '2026-12-24T10:00:00Z' },
  });
  expect(after.body).toMatchObject({ recipients: 1 }); // the muter is not written to at all

  const mine = await inbox(muter.userId);
  expect(mine.notices.map((n) => n.kind)).toEqual(['day_charged']);
  expect(mine.unreadCount).toBe(1);
  const s = await stream(muter.userId, '?after=0');
  await until('the essential notice streamed', async () => s.events.length > 0, { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 500));
  expect(s.events.map((e) => e.data.kind)).toEqual(['day_charged']);
  s.close();
  const theirs = await inbox(loyal.userId, '?locale=en');
  expect(theirs.notices.map((n) => n.kind)).toEqual(['announcement', 'announcement']);
  expect(theirs.notices[0]!.text).toMatch(/^Closed from Dec 24, 09:00 to Dec 24, 18:00/);
  expect(theirs.notices[1]!.data).toMatchObject({ templateKey: 'offer', amountMinor: 500, announcementId: 'a-before' });

  // Unmuted (twice: idempotent), the earlier announcement shows again; the one sent while muted was never written.
  for (let i = 0; i < 2; i++)
    expect((await d.api('DELETE', `/v1/users/me/mutes/${op.id}`, muter.userId)).body).toEqual({ institutionId: op.id, muted: false });
  expect((await inbox(muter.userId)).notices.map((n) => [n.kind, n.data['announcementId']])).toEqual([
    ['day_charged', undefined],
    ['announcement', 'a-before'],
  ]);
});

it('sends an announcement once per id and at most the configured number a day, with 429 problem+json past it', async () => {
  const id = `x-${randomUUID().slice(0, 8)}`;
  const opNotices = async () =>
    (
      await d.p.services.db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM notifications WHERE journey_id LIKE $1`, [
        `announcement/${op.id}/%`,
      ])
    )[0]!.n;
  // The previous test sent two of this operator's three a day.
  const first = await announce(op.id, offer(id));
  expect(first.status).toBe(200);
  const written = await opNotices();
  const replay = await announce(op.id, offer(id));
  expect(replay.body).toEqual({ ...first.body, replayed: true });
  expect(await opNotices()).toBe(written);
  const reused = await announce(op.id, offer(id, 900));
  expect(reused.status).toBe(409);
  expect(reused.body['code']).toBe('idempotency_key_reused');

  const over = await announce(op.id, offer('one-too-many'));
  expect(over.status).toBe(429);
  expect(over.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(over.body['code']).toBe('rate_limited');
  expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(80_000);
  // A replay is not a new announcement: still answered after the limit.
  expect((await announce(op.id, offer(id))).body).toMatchObject({ replayed: true });
  expect(await opNotices()).toBe(written);
});

it('refuses hostile announcements: spoofed, for another institution, bad ids, free text, oversize', async () => {
  const spoofed = await announce(op.id, offer('s1'), { secret: 'not-the-secret' });
  expect(spoofed.status).toBe(401);
  const forOther = await announce(d.hospital, offer('s2'), { signer: op.id });
  expect(forOther.status).toBe(403);
  const badPath = await announce('bad.id!', offer('s3'), { signer: op.id });
  expect(badPath.status).toBe(422);
  for (const [body, field] of [
    [{ ...offer('s4'), announcementId: '../etc' }, 'body.announcementId'],
    [{ ...offer('s5'), text: 'Dear Zhang San, call 13800000000' }, 'body'],
    [{ announcementId: 's6', templateKey: 'free_text', data: { message: 'hello' } }, 'body.templateKey'],
    [
      {
        announcementId: 's7',
        templateKey: 'offer',
        data: { amountMinor: 5, startsAt: '2026-12-24T01:00:00Z', endsAt: '2026-12-26T10:00:00Z', note: 'x' },
      },
      'body.data',
    ],
    [
      {
        announcementId: 's8',
        templateKey: 'offer',
        data: { amountMinor: -5, startsAt: '2026-12-24T01:00:00Z', endsAt: '2026-12-26T10:00:00Z' },
      },
      'body.data.amountMinor',
    ],
    [
      { announcementId: 's9', templateKey: 'service_closed', data: { startsAt: '2026-12-24T01:00:00Z', endsAt: '2026-12-23T01:00:00Z' } },
      'body.data.endsAt',
    ],
  ] as const) {
    const r = await announce(op.id, body);
    expect(r.status).toBe(422);
    expect((r.body['errors'] as Array<{ field: string }>).map((e) => e.field).join(' ')).toContain(field);
  }
  const oversize = await announce(op.id, undefined, { raw: JSON.stringify({ ...offer('s10'), pad: 'x'.repeat(300_000) }) });
  expect(oversize.status).toBe(413);
  const sent: Array<{ n: number }> = await d.p.services.db.query(
    `SELECT count(*)::int AS n FROM announcements WHERE announcement_id LIKE 's%' AND institution_id IN ($1, $2)`,
    [op.id, d.hospital],
  );
  expect(sent[0]!.n).toBe(0);
});

it('refuses bad stream cursors, too many streams, and bad or unknown mutes', async () => {
  const user = (await createTestTransitRider(d.p.services.db, { operatorId: op.id, partnerId: d.p.partner.id })).userId;
  for (const [query, headers] of [
    ['?after=abc', {}],
    ['?after=1&extra=1', {}],
    ['', { 'last-event-id': '1 OR 1=1' }],
    ['?locale=fr', {}],
  ] as const) {
    const s = await stream(user, query, headers);
    expect(s.status).toBe(422);
    expect(s.contentType).toMatch(/problem\+json/);
  }
  const a = await stream(user);
  const b = await stream(user);
  expect([a.status, b.status]).toEqual([200, 200]);
  const c = await stream(user);
  expect(c.status).toBe(429);
  expect(JSON.parse(c.problem)).toMatchObject({ code: 'rate_limited' });
  a.close();
  await until('a closed stream frees its place', async () => (await stream(user)).status === 200, { timeoutMs: 5_000 });

  expect((await d.api('PUT', '/v1/users/me/mutes/no-such-institution', user)).status).toBe(404);
  expect((await d.api('PUT', '/v1/users/me/mutes/bad.id!', user)).status).toBe(422);
  expect((await d.api('PUT', `/v1/users/me/mutes/${'x'.repeat(65)}`, user)).status).toBe(422);
  expect((await d.api('PUT', `/v1/users/me/mutes/${op.id}`, null)).status).toBe(401);
  const anonymous = await openNoticeStream(`${d.p.api.url}/v1/users/me/notices/stream`, { authorization: `Bearer ${d.p.partner.apiKey}` });
  expect(anonymous.status).toBe(401);
});
