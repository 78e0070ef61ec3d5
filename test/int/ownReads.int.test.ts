import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { readOwnQueueView, upsertDoctorQueueView } from '../../db/queries/doctorQueueView';
import { readOwnVisitView, upsertVisitView } from '../../db/queries/visitView';
import { DEFAULT_QUEUE_CONFIG, DoctorQueue, emptyQueueState } from '../../domain/hospital/queue';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import type { VisitStatus } from '../../workflows/hospital/visit/types';
import { openTestDb } from '../helpers/db';

/**
 * The one-round-trip partner reads (ownership + projection) against the run's PostgreSQL: another
 * user's visit reads as none, and the queue is the one of the slot's service day in the hospital's
 * time zone (computed in SQL, checked here against the TypeScript serviceDayOf).
 */
let ds: DataSource;
const tag = randomUUID().slice(0, 8);
const institutionId = `own-${tag}`;
const doctorId = 'D1';
const partnerId = `own-partner-${tag}`;
const owner = randomUUID();
const stranger = randomUUID();
const bookingRef = `OWN${tag}`;
// 17:30 UTC is 01:30 the next day in Shanghai: the service day is not the UTC date.
const startsAt = new Date('2026-12-04T17:30:00Z');
const timeZone = 'Asia/Shanghai';

function status(stage: VisitStatus['stage'], position: number | null): VisitStatus {
  return {
    bookingRef,
    institutionId,
    stage,
    slotStartMs: startsAt.getTime(),
    amountDueMinor: 1500,
    currency: 'CNY',
    registration: { outTradeNo: `${bookingRef}_reg`, status: 'paid', refundedMinor: 0 },
    queue: { position, etaMinutes: position === null ? null : 12, calledAt: null },
    orders: [],
    resultOrderIds: [],
    notices: [],
  };
}

beforeAll(async () => {
  ds = await openTestDb(4);
  await ds.query(`INSERT INTO partners (id, name, api_key_hash) VALUES ($1, 'own reads', $2)`, [partnerId, `hash-${tag}`]);
  await ds.query(`INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'hospital', 'Own reads', $2, 'x')`, [
    institutionId,
    timeZone,
  ]);
  for (const [id, n] of [
    [owner, 1],
    [stranger, 2],
  ] as const) {
    await ds.query(
      `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status)
       VALUES ($1, $2, $3, 'x', 'x', 'x', $3, $3, 'verified')`,
      [id, partnerId, `own-${tag}-${n}`],
    );
  }
  await ds.query(`INSERT INTO departments (institution_id, id, name) VALUES ($1, 'GEN', 'General')`, [institutionId]);
  await ds.query(`INSERT INTO doctors (institution_id, id, department_id, display_name) VALUES ($1, $2, 'GEN', 'Dr')`, [
    institutionId,
    doctorId,
  ]);
  await ds.query(
    `INSERT INTO slots (id, institution_id, department_id, doctor_id, starts_at, duration_min, fee_minor, currency, opens_at, status, booking_ref)
     VALUES ($1, $2, 'GEN', $3, $4, 10, 1500, 'CNY', now(), 'booked', $5)`,
    [`slot-${tag}`, institutionId, doctorId, startsAt, bookingRef],
  );
  await ds.query(
    `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued')`,
    [bookingRef, institutionId, owner, partnerId, `slot-${tag}`, doctorId, `wf-${tag}`],
  );
});
afterAll(async () => {
  await ds?.destroy();
});

describe('own visit reads in one round trip', () => {
  it('answers the owner, and nobody else, with the projection once one is written', async () => {
    expect(await readOwnVisitView(ds, bookingRef, stranger)).toBeNull();
    const before = await readOwnVisitView(ds, bookingRef, owner);
    expect(before?.visit).toMatchObject({ booking_ref: bookingRef, user_id: owner, doctor_id: doctorId, time_zone: timeZone });
    expect(before?.view).toBeNull();
    await upsertVisitView(ds, { seq: 4, status: status('queued', 3) });
    const after = await readOwnVisitView(ds, bookingRef, owner);
    expect(after?.view).toMatchObject({ seq: 4, status: { stage: 'queued', queue: { position: 3 } } });
  });

  it("reads the queue of the slot's service day in the hospital's time zone", async () => {
    const day = serviceDayOf(startsAt, timeZone);
    expect(day).toBe('2026-12-05');
    const queue = new DoctorQueue(DEFAULT_QUEUE_CONFIG, emptyQueueState(DEFAULT_QUEUE_CONFIG));
    queue.join('OTHER', 1_000, 1_000);
    queue.join(bookingRef, 2_000, 2_000);
    // A decoy on the UTC date, which must not be read.
    const decoy = new DoctorQueue(DEFAULT_QUEUE_CONFIG, emptyQueueState(DEFAULT_QUEUE_CONFIG));
    decoy.join(bookingRef, 1_000, 1_000);
    const base = { institutionId, doctorId, config: DEFAULT_QUEUE_CONFIG, closing: false };
    await upsertDoctorQueueView(ds, { ...base, serviceDay: '2026-12-04', state: decoy.state, seq: 9 });
    await upsertDoctorQueueView(ds, { ...base, serviceDay: day, state: queue.state, seq: 2 });

    expect(await readOwnQueueView(ds, bookingRef, stranger)).toBeNull();
    const read = await readOwnQueueView(ds, bookingRef, owner);
    expect(read?.snapshot?.seq).toBe(2);
    expect(new DoctorQueue(read!.snapshot!.config, read!.snapshot!.state).positionOf(bookingRef, 3_000)).toEqual(
      queue.positionOf(bookingRef, 3_000),
    );
    expect(read?.joined).toEqual({ stage: 'queued', queue: expect.objectContaining({ position: 3, etaMinutes: 12 }) });

    // A newer snapshot (the first patient called) is read, not the parse kept for seq 2.
    queue.callNext(4_000);
    await upsertDoctorQueueView(ds, { ...base, serviceDay: day, state: queue.state, seq: 3 });
    const newer = await readOwnQueueView(ds, bookingRef, owner);
    expect(newer?.snapshot?.seq).toBe(3);
    expect(new DoctorQueue(newer!.snapshot!.config, newer!.snapshot!.state).positionOf(bookingRef, 5_000)).toMatchObject({
      status: 'waiting',
      position: 1,
    });
  });
});
