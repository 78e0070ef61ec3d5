import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../domain/errors';
import { createSlotRepository, seededSlotId, seedSchedule, type SlotRepository } from '../../db/repositories/slots';
import { openTestDb } from '../helpers/db';

/** The slot repository against the run's real PostgreSQL database, including a registration rush. */
let ds: DataSource;
let repo: SlotRepository;

const DAY = '2024-03-02';
const OPENS = new Date('2024-02-25T00:00:00Z');
const NOW = new Date('2024-03-01T00:00:00Z'); // open, before the slots start
const FIRST = new Date('2024-03-02T00:00:00Z'); // 08:00 Asia/Shanghai
const MIN = 60_000;

beforeAll(async () => {
  ds = await openTestDb(40);
  repo = createSlotRepository(ds);
});
afterAll(async () => {
  await ds?.destroy();
});

async function seed(opts: { doctors?: number; slots?: number; opensAt?: Date } = {}) {
  const institutionId = `slots-${randomUUID().slice(0, 8)}`;
  const doctors = Array.from({ length: opts.doctors ?? 2 }, (_, i) => ({
    id: `d${i + 1}`,
    departmentId: i % 2 === 0 ? 'cardio' : 'derm',
    displayName: `Dr ${i + 1}`,
  }));
  const { slotIds } = await seedSchedule(ds, {
    institutionId,
    departments: [
      { id: 'cardio', name: 'Cardiology' },
      { id: 'derm', name: 'Dermatology' },
    ],
    doctors,
    days: [DAY],
    slotsPerDoctorPerDay: opts.slots ?? 4,
    feeMinor: 1_500,
    currency: 'CNY',
    opensAt: opts.opensAt ?? OPENS,
    timeZone: 'Asia/Shanghai',
  });
  return { institutionId, slotIds, slot: (doctor: string, n: number) => seededSlotId(institutionId, doctor, DAY, n) };
}

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const ref = () => `BK${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const hold = (slotId: string, bookingRef: string, now = NOW, minutes = 15) =>
  repo.holdSlot({ slotId, bookingRef, heldUntil: new Date(now.getTime() + minutes * MIN), now });

describe('seedSchedule', () => {
  it('creates departments, doctors and slots at local times, and seeding again adds nothing', async () => {
    const s = await seed({ doctors: 3, slots: 5 });
    expect(s.slotIds).toHaveLength(15);
    const again = await seedSchedule(ds, {
      institutionId: s.institutionId,
      departments: [
        { id: 'cardio', name: 'Cardiology' },
        { id: 'derm', name: 'Dermatology' },
      ],
      doctors: [{ id: 'd1', departmentId: 'cardio', displayName: 'Dr 1' }],
      days: [DAY],
      slotsPerDoctorPerDay: 5,
      feeMinor: 1_500,
      currency: 'CNY',
      opensAt: OPENS,
      timeZone: 'Asia/Shanghai',
    });
    expect(again.slotIds).toHaveLength(5);
    const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM slots WHERE institution_id = $1', [s.institutionId]);
    expect(n).toBe(15);
    const [first] = await ds.query('SELECT starts_at, fee_minor, currency, status, duration_min, department_id FROM slots WHERE id = $1', [
      s.slot('d2', 2),
    ]);
    expect(first.starts_at.toISOString()).toBe(new Date(FIRST.getTime() + 15 * MIN).toISOString());
    expect([Number(first.fee_minor), first.currency, first.status, first.duration_min, first.department_id]).toEqual([
      1_500,
      'CNY',
      'free',
      15,
      'derm',
    ]);
    const doctors = await ds.query('SELECT id FROM doctors WHERE institution_id = $1 ORDER BY id', [s.institutionId]);
    expect(doctors.map((d: { id: string }) => d.id)).toEqual(['d1', 'd2', 'd3']);
  });

  it('rejects a doctor in an unknown department and an unknown time zone', async () => {
    const base = {
      institutionId: 'x',
      departments: [{ id: 'a', name: 'A' }],
      days: [DAY],
      slotsPerDoctorPerDay: 1,
      feeMinor: 1,
      currency: 'CNY',
      opensAt: OPENS,
    };
    expect(
      (
        await refusal(
          seedSchedule(ds, { ...base, doctors: [{ id: 'd', departmentId: 'zz', displayName: 'D' }], timeZone: 'Asia/Shanghai' }),
        )
      ).code,
    ).toBe(ErrorCode.ValidationFailed);
    const badZone = await seedSchedule(ds, { ...base, doctors: [], timeZone: 'Nowhere/Land' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(badZone)).toMatch(/unknown time zone/);
  });
});

describe('holdSlot', () => {
  it('holds a free slot and returns the row; the same booking may repeat the hold', async () => {
    const s = await seed();
    const r = ref();
    const held = await hold(s.slot('d1', 1), r);
    expect(held).toMatchObject({
      id: s.slot('d1', 1),
      status: 'held',
      bookingRef: r,
      doctorId: 'd1',
      feeMinor: 1_500,
      currency: 'CNY',
      startsAt: FIRST,
    });
    expect(held.heldUntil?.getTime()).toBe(NOW.getTime() + 15 * MIN);
    expect((await hold(s.slot('d1', 1), r)).bookingRef).toBe(r);
  });

  it('refuses a held slot to anyone else until the hold expires', async () => {
    const s = await seed();
    const first = ref();
    await hold(s.slot('d1', 1), first);
    expect((await refusal(hold(s.slot('d1', 1), ref()))).code).toBe(ErrorCode.SlotTaken);
    const later = new Date(NOW.getTime() + 15 * MIN);
    const second = ref();
    expect((await hold(s.slot('d1', 1), second, later)).bookingRef).toBe(second);
    // The first booking paid too late: its confirmation is refused, so the journey refunds.
    expect((await refusal(repo.confirmSlot(s.slot('d1', 1), first))).code).toBe(ErrorCode.SlotTaken);
  });

  it('tells apart unknown, not yet open, already started, and a booking holding another slot', async () => {
    const s = await seed({ opensAt: new Date('2024-03-01T00:00:00Z') });
    expect((await refusal(hold('no-such-slot', ref()))).code).toBe(ErrorCode.NotFound);
    const early = await refusal(hold(s.slot('d1', 1), ref(), new Date(NOW.getTime() - 1)));
    expect(early.code).toBe(ErrorCode.InvalidState);
    expect(early.details).toMatchObject({ opensAt: '2024-03-01T00:00:00.000Z' });
    expect((await refusal(hold(s.slot('d1', 1), ref(), FIRST))).code).toBe(ErrorCode.InvalidState);
    const r = ref();
    await hold(s.slot('d1', 1), r);
    expect((await refusal(hold(s.slot('d1', 2), r))).code).toBe(ErrorCode.Conflict);
    const [row] = await ds.query('SELECT status, booking_ref FROM slots WHERE id = $1', [s.slot('d1', 2)]);
    expect(row).toEqual({ status: 'free', booking_ref: null });
  });
});

describe('confirmSlot and releaseSlot', () => {
  it("confirm books the holder's slot, idempotently; nobody else can confirm or hold it", async () => {
    const s = await seed();
    const r = ref();
    await hold(s.slot('d2', 1), r);
    const booked = await repo.confirmSlot(s.slot('d2', 1), r);
    expect(booked).toMatchObject({ status: 'booked', bookingRef: r, heldUntil: null });
    expect((await repo.confirmSlot(s.slot('d2', 1), r)).status).toBe('booked');
    expect((await refusal(repo.confirmSlot(s.slot('d2', 1), ref()))).code).toBe(ErrorCode.SlotTaken);
    expect((await refusal(hold(s.slot('d2', 1), ref(), new Date(NOW.getTime() + 60 * MIN)))).code).toBe(ErrorCode.SlotTaken);
    expect((await refusal(repo.confirmSlot('no-such-slot', r))).code).toBe(ErrorCode.NotFound);
  });

  it("release frees only the holder's slot and is idempotent", async () => {
    const s = await seed();
    const r = ref();
    await hold(s.slot('d1', 3), r);
    expect(await repo.releaseSlot(s.slot('d1', 3), ref())).toEqual({ released: false });
    expect((await refusal(hold(s.slot('d1', 3), ref()))).code).toBe(ErrorCode.SlotTaken);
    expect(await repo.releaseSlot(s.slot('d1', 3), r)).toEqual({ released: true });
    expect(await repo.releaseSlot(s.slot('d1', 3), r)).toEqual({ released: false });
    const [row] = await ds.query('SELECT status, booking_ref, held_until FROM slots WHERE id = $1', [s.slot('d1', 3)]);
    expect(row).toEqual({ status: 'free', booking_ref: null, held_until: null });
    expect((await refusal(repo.confirmSlot(s.slot('d1', 3), r))).code).toBe(ErrorCode.SlotTaken);
    expect((await refusal(repo.releaseSlot('no-such-slot', r))).code).toBe(ErrorCode.NotFound);
  });
});

describe('listFreeSlots', () => {
  it('lists holdable slots in time order, with filters; expired holds show as free without their booking ref', async () => {
    const s = await seed({ doctors: 2, slots: 3 });
    const held = ref();
    const expired = ref();
    await hold(s.slot('d1', 1), held);
    await hold(s.slot('d1', 2), expired, new Date(NOW.getTime() - 20 * MIN));
    await repo.confirmSlot(s.slot('d2', 1), (await hold(s.slot('d2', 1), ref())).bookingRef!);
    const range = { institutionId: s.institutionId, from: FIRST, to: new Date(FIRST.getTime() + 24 * 60 * MIN), now: NOW };
    const all = await repo.listFreeSlots(range);
    expect(all.map((x) => x.id)).toEqual([s.slot('d1', 2), s.slot('d2', 2), s.slot('d1', 3), s.slot('d2', 3)]);
    expect(all[0]).toMatchObject({ status: 'free', bookingRef: null, heldUntil: null });
    expect((await repo.listFreeSlots({ ...range, doctorId: 'd2' })).map((x) => x.id)).toEqual([s.slot('d2', 2), s.slot('d2', 3)]);
    expect((await repo.listFreeSlots({ ...range, departmentId: 'cardio' })).every((x) => x.doctorId === 'd1')).toBe(true);
    expect(await repo.listFreeSlots({ ...range, to: new Date(FIRST.getTime() + 15 * MIN) })).toEqual([]);
    expect(await repo.listFreeSlots({ ...range, now: new Date(OPENS.getTime() - 1) })).toEqual([]);
    expect(await repo.listFreeSlots({ ...range, limit: 1 })).toHaveLength(1);
  });
});

describe('the registration rush', () => {
  it('1,000 concurrent holds on 100 slots from many connections: exactly 100 holds, none twice, every loser told SlotTaken', async () => {
    const s = await seed({ doctors: 10, slots: 10 });
    expect(s.slotIds).toHaveLength(100);
    const attempts = Array.from({ length: 1_000 }, (_, i) => ({ slotId: s.slotIds[i % 100]!, bookingRef: `rush${i}` }));
    const results = await Promise.all(
      attempts.map(async (a) => {
        try {
          const row = await hold(a.slotId, a.bookingRef);
          return { ...a, won: true as const, row };
        } catch (err) {
          return { ...a, won: false as const, err };
        }
      }),
    );
    const winners = results.filter((r) => r.won);
    const losers = results.filter((r) => !r.won);
    expect(winners).toHaveLength(100);
    expect(new Set(winners.map((w) => w.slotId)).size).toBe(100);
    expect(losers).toHaveLength(900);
    for (const l of losers) expect(l.err).toMatchObject({ code: ErrorCode.SlotTaken });
    const rows: Array<{ id: string; status: string; booking_ref: string }> = await ds.query(
      'SELECT id, status, booking_ref FROM slots WHERE institution_id = $1',
      [s.institutionId],
    );
    expect(rows.filter((r) => r.status === 'held')).toHaveLength(100);
    const winnerOf = new Map(winners.map((w) => [w.slotId, w.bookingRef]));
    for (const row of rows) expect(row.booking_ref).toBe(winnerOf.get(row.id));
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM (SELECT booking_ref FROM slots WHERE institution_id = $1 AND booking_ref IS NOT NULL GROUP BY booking_ref HAVING count(*) > 1) d`,
      [s.institutionId],
    );
    expect(n).toBe(0);
    // The pool really spread the rush over many server connections.
    const [{ c }] = await ds.query(
      `SELECT count(*)::int AS c FROM pg_stat_activity WHERE application_name = 'causeway-test' AND datname = current_database()`,
    );
    expect(c).toBeGreaterThan(10);
  });
});
