import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ChangeFeed } from '../../db/changeFeed';
import { upsertVisitView, VISIT_VIEW_CHANNEL } from '../../db/queries/visitView';
import { QUEUE_VIEW_CHANNEL } from '../../db/queries/doctorQueueView';
import type { VisitStatus } from '../../workflows/hospital/visit/types';
import { openTestDb } from '../helpers/db';
import { until } from '../helpers/poll';

/** The per-process LISTEN connection against the run's PostgreSQL: fan-out by key, and recovery. */
let ds: DataSource;
const feeds: ChangeFeed[] = [];

beforeAll(async () => {
  ds = await openTestDb(4);
});
afterAll(async () => {
  await Promise.all(feeds.map((f) => f.close()));
  await ds?.destroy();
});

function feed(applicationName = `feed-${randomUUID().slice(0, 8)}`): ChangeFeed {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL missing');
  const f = new ChangeFeed({ url, channels: [VISIT_VIEW_CHANNEL, QUEUE_VIEW_CHANNEL], applicationName, reconnectMs: 50 });
  feeds.push(f);
  return f;
}

function status(bookingRef: string): VisitStatus {
  return {
    bookingRef,
    institutionId: 'cf-hospital',
    stage: 'booked',
    slotStartMs: 1_700_000_000_000,
    amountDueMinor: 1500,
    currency: 'CNY',
    registration: { outTradeNo: `${bookingRef}_reg`, status: 'paid', refundedMinor: 0 },
    queue: { position: null, etaMinutes: null, calledAt: null },
    orders: [],
    resultOrderIds: [],
    notices: [],
  };
}

describe('change feed', () => {
  it('wakes exactly the subscribers of the changed key, from a write on another connection', async () => {
    const f = feed();
    const [a, b] = [`CF${randomUUID().slice(0, 8)}`, `CF${randomUUID().slice(0, 8)}`];
    const seen: string[] = [];
    f.subscribe(VISIT_VIEW_CHANNEL, a, () => seen.push(`a1`));
    f.subscribe(VISIT_VIEW_CHANNEL, a, () => seen.push(`a2`));
    const offB = f.subscribe(VISIT_VIEW_CHANNEL, b, () => seen.push('b'));
    await f.ready();
    // The connect itself wakes everyone once (changes before LISTEN took effect are unseen).
    await until('the initial wake', async () => seen.length === 3);
    seen.length = 0;
    offB();
    expect(await upsertVisitView(ds, { seq: 1, status: status(a) })).toBe(true);
    expect(await upsertVisitView(ds, { seq: 1, status: status(b) })).toBe(true);
    await until('a notified', async () => seen.length >= 2);
    // A stale write is not a change: no NOTIFY, nobody woken.
    expect(await upsertVisitView(ds, { seq: 0, status: status(a) })).toBe(false);
    // Round-trip one more notification so anything in flight has arrived before asserting.
    const c = `CF${randomUUID().slice(0, 8)}`;
    let cSeen = false;
    f.subscribe(VISIT_VIEW_CHANNEL, c, () => (cSeen = true));
    await ds.query(`SELECT pg_notify($1, $2)`, [VISIT_VIEW_CHANNEL, c]);
    await until('c notified', async () => cSeen);
    expect(seen.sort()).toEqual(['a1', 'a2']);
    expect(f.watchedKeys).toBe(2);
  });

  it('wakes every subscriber when its connection is killed, reconnects, and delivers again', async () => {
    const name = `feed-kill-${randomUUID().slice(0, 8)}`;
    const f = feed(name);
    const key = `CF${randomUUID().slice(0, 8)}`;
    let wakes = 0;
    f.subscribe(QUEUE_VIEW_CHANNEL, key, () => (wakes += 1));
    await f.ready();
    await until('the initial wake', async () => wakes === 1);
    const killed: unknown[] = await ds.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [name],
    );
    expect(killed).toHaveLength(1);
    // Lost (streams fall back to polling) and back (they re-read): at least two wakes, then listening again.
    await until('reconnected', async () => wakes >= 3 && f.listening);
    const before = wakes;
    await ds.query(`SELECT pg_notify($1, $2)`, [QUEUE_VIEW_CHANNEL, key]);
    await until('delivered after the reconnect', async () => wakes === before + 1);
  });

  it('refuses a channel it does not listen on', () => {
    expect(() => feed().subscribe('somewhere_else', 'k', () => undefined)).toThrow(/does not listen on somewhere_else/);
  });
});
