import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { readDoctorQueueView, upsertDoctorQueueView, QUEUE_VIEW_CHANNEL } from '../../db/queries/doctorQueueView';
import { readVisitView, upsertVisitView, VISIT_VIEW_CHANNEL } from '../../db/queries/visitView';
import { DEFAULT_QUEUE_CONFIG, DoctorQueue, emptyQueueState } from '../../domain/hospital/queue';
import type { VisitStage, VisitStatus } from '../../workflows/hospital/visit/types';
import { openTestDb } from '../helpers/db';

/** The read model's upserts against the run's PostgreSQL: ordered by seq, idempotent, announced by NOTIFY. */
let ds: DataSource;

beforeAll(async () => {
  ds = await openTestDb(8);
});
afterAll(async () => {
  await ds?.destroy();
});

function status(bookingRef: string, stage: VisitStage): VisitStatus {
  return {
    bookingRef,
    institutionId: 'rm-hospital',
    stage,
    slotStartMs: 1_700_000_000_000,
    amountDueMinor: 1500,
    currency: 'CNY',
    registration: { outTradeNo: `${bookingRef}_reg`, status: 'not_started', refundedMinor: 0 },
    queue: { position: null, etaMinutes: null, calledAt: null },
    orders: [{ orderId: 'O1', amountMinor: 0, currency: 'CNY', status: 'free', outTradeNo: null, resultsDelivered: false }],
    resultOrderIds: [],
    notices: [{ kind: stage, atMs: 1 }],
  };
}

describe('visit projection', () => {
  it('never goes back: an older or repeated write after a newer one changes nothing', async () => {
    const ref = `RM${randomUUID().slice(0, 8)}`;
    expect(await upsertVisitView(ds, { seq: 0, status: status(ref, 'holding') })).toBe(true);
    expect(await upsertVisitView(ds, { seq: 3, status: status(ref, 'booked') })).toBe(true);
    // Delivered late (an activity retried after a newer one succeeded).
    expect(await upsertVisitView(ds, { seq: 2, status: status(ref, 'awaiting_payment') })).toBe(false);
    expect(await upsertVisitView(ds, { seq: 3, status: status(ref, 'awaiting_payment') })).toBe(false);
    const view = await readVisitView(ds, ref);
    expect(view?.seq).toBe(3);
    expect(view?.status.stage).toBe('booked');
    expect(view?.status.orders[0]?.status).toBe('free');
    expect(await upsertVisitView(ds, { seq: 4, status: status(ref, 'queued') })).toBe(true);
    expect((await readVisitView(ds, ref))?.status.stage).toBe('queued');
  });

  it('keeps the highest seq whatever order concurrent writers land in', async () => {
    const ref = `RM${randomUUID().slice(0, 8)}`;
    const stages: VisitStage[] = ['holding', 'awaiting_payment', 'booked', 'queued', 'called', 'closed'];
    const writes = stages.map((stage, seq) => ({ seq, status: status(ref, stage) })).reverse();
    await Promise.all(writes.map((w) => upsertVisitView(ds, w)));
    const view = await readVisitView(ds, ref);
    expect(view).toMatchObject({ seq: 5, status: { stage: 'closed' } });
  });

  it('announces a write that changed the row, and only such a write', async () => {
    const ref = `RM${randomUUID().slice(0, 8)}`;
    const listener = new Client({ connectionString: process.env.DATABASE_URL });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === VISIT_VIEW_CHANNEL && n.payload === ref) heard.push(n.payload);
      });
      await listener.query(`LISTEN ${VISIT_VIEW_CHANNEL}`);
      await upsertVisitView(ds, { seq: 2, status: status(ref, 'booked') });
      await upsertVisitView(ds, { seq: 1, status: status(ref, 'holding') }); // stale: no notice
      await upsertVisitView(ds, { seq: 3, status: status(ref, 'queued') });
      // A round trip on the listening connection delivers every notice committed before it.
      await listener.query('SELECT 1');
      expect(heard).toEqual([ref, ref]);
    } finally {
      await listener.end();
    }
  });
});

describe('doctor queue projection', () => {
  it('computes position and ETA from the stored snapshot and never goes back', async () => {
    const key = { institutionId: 'rm-hospital', doctorId: `d-${randomUUID().slice(0, 8)}`, serviceDay: '2026-12-04' };
    const queue = new DoctorQueue(DEFAULT_QUEUE_CONFIG, emptyQueueState(DEFAULT_QUEUE_CONFIG));
    queue.join('A', 1_000, 1_000);
    queue.join('B', 2_000, 2_000);
    const older = JSON.parse(JSON.stringify(queue.state)) as typeof queue.state;
    queue.callNext(3_000);
    expect(await upsertDoctorQueueView(ds, { ...key, config: DEFAULT_QUEUE_CONFIG, state: queue.state, closing: false, seq: 7 })).toBe(
      true,
    );
    expect(await upsertDoctorQueueView(ds, { ...key, config: DEFAULT_QUEUE_CONFIG, state: older, closing: false, seq: 6 })).toBe(false);
    const view = await readDoctorQueueView(ds, key);
    expect(view?.seq).toBe(7);
    const read = new DoctorQueue(view!.config, view!.state);
    expect(read.positionOf('A', 4_000)).toEqual({ status: 'called', calledAtMs: 3_000 });
    expect(read.positionOf('B', 4_000)).toEqual(queue.positionOf('B', 4_000));
    expect(QUEUE_VIEW_CHANNEL).toBe('doctor_queue_views');
  });
});
