import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { DataSource } from 'typeorm';
import { createNotifier } from '../../activities/notifications';
import { streamNotices } from '../../api/users/noticeStream';
import { ChangeFeed } from '../../db/changeFeed';
import { noticesAfter, USER_NOTICE_CHANNEL } from '../../db/queries/userInbox';
import { openTestDb } from '../helpers/db';
import { openNoticeStream } from '../helpers/noticeStream';
import { sleep, until } from '../helpers/poll';

/**
 * What the notice stream relies on in PostgreSQL (one user's notices become visible in id order; each
 * insert announces the user's ref) and how it behaves without its LISTEN connection (it polls).
 */
let ds: DataSource;
const feeds: ChangeFeed[] = [];
let server: Server | undefined;

beforeAll(async () => {
  ds = await openTestDb(4);
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await Promise.all(feeds.map((f) => f.close()));
  await ds?.destroy();
});

const notice = (userRef: string, key: string) => ({
  userRef,
  journeyId: `hospital-visit/ns-hosp/${userRef}`,
  kind: 'results_ready',
  key,
  data: { orderId: key },
});
const idsOf = async (userRef: string): Promise<Array<{ id: string; key: string }>> =>
  ds.query(`SELECT id::text, key FROM notifications WHERE user_ref = $1 ORDER BY id`, [userRef]);

it("gives a user's notices ids in commit order: one written meanwhile waits for the open one and gets the higher id", async () => {
  const userRef = `ns_${randomUUID().slice(0, 12)}`;
  const notifier = createNotifier(ds);
  const slow = ds.createQueryRunner();
  await slow.connect();
  await slow.startTransaction();
  await slow.query(`INSERT INTO notifications (user_ref, journey_id, kind, key, data) VALUES ($1, $2, $3, $4, '{}')`, [
    userRef,
    `hospital-visit/ns-hosp/${userRef}`,
    'results_ready',
    'first',
  ]);
  let done = false;
  const second = notifier.notify(notice(userRef, 'second')).then(() => (done = true));
  // Another user's notice is not held up by this one's open transaction.
  expect(await notifier.notify(notice(`${userRef}_other`, 'x'))).toBe(true);
  await sleep(300);
  expect(done).toBe(false);
  await slow.commitTransaction();
  await slow.release();
  await second;
  const rows = await idsOf(userRef);
  expect(rows.map((r) => r.key)).toEqual(['first', 'second']);
  expect(BigInt(rows[1]!.id)).toBeGreaterThan(BigInt(rows[0]!.id));
});

it("announces each new notice on user_notices with the user's ref, and only theirs", async () => {
  const url = process.env.DATABASE_URL!;
  const feed = new ChangeFeed({ url, channels: [USER_NOTICE_CHANNEL], reconnectMs: 50 });
  feeds.push(feed);
  const userRef = `ns_${randomUUID().slice(0, 12)}`;
  let hints = 0;
  feed.subscribe(USER_NOTICE_CHANNEL, userRef, () => (hints += 1));
  await feed.ready();
  await sleep(100);
  const woken = hints;
  await createNotifier(ds).notify(notice(`${userRef}_someone_else`, 'a'));
  await createNotifier(ds).notify(notice(userRef, 'a'));
  await until('the hint', async () => hints > woken);
  await sleep(200);
  expect(hints).toBe(woken + 1);
});

it('polls PostgreSQL while the LISTEN connection is down, and keeps an idle stream alive with heartbeats', async () => {
  // Nothing listens on port 1: the feed never connects, so every new notice must be found by polling.
  const feed = new ChangeFeed({ url: 'postgres://postgres@127.0.0.1:1/none', channels: [USER_NOTICE_CHANNEL], reconnectMs: 60_000 });
  feeds.push(feed);
  const userRef = `ns_${randomUUID().slice(0, 12)}`;
  await createNotifier(ds).notify(notice(userRef, 'old'));
  const after = (await idsOf(userRef))[0]!.id;
  const app = express();
  app.get('/stream', (req, res) => {
    void streamNotices(req, res, {
      changes: feed,
      channel: USER_NOTICE_CHANNEL,
      key: userRef,
      after,
      load: async (from, batch) =>
        (await noticesAfter(ds, userRef, from, batch)).map((n) => ({ noticeId: n.id, kind: n.kind, data: n.data })),
      batch: 2,
      pollMs: 200,
      heartbeatMs: 400,
      now: Date.now,
    });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  const s = await openNoticeStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`, {});
  expect(s.status).toBe(200);
  for (const key of ['p1', 'p2', 'p3']) await createNotifier(ds).notify(notice(userRef, key));
  await until('three notices polled', async () => s.events.length >= 3, { timeoutMs: 5_000 });
  expect(feed.listening).toBe(false);
  // Only what came after the cursor, in order, each once (read in batches of two).
  expect(s.events.map((e) => e.data.data['orderId'])).toEqual(['p1', 'p2', 'p3']);
  await until('a heartbeat', async () => s.comments >= 2, { timeoutMs: 3_000 });
  s.close();
});
