import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { ServiceDay } from '../../domain/hospital/schemas';
import { instantOfLocalTime, isValidTimeZone } from '../../domain/hospital/serviceDay';
import { CurrencyCode } from '../../domain/money';
import { updateResult } from '../updateResult';

/**
 * Slot operations that stay correct under a registration rush (a day's slots released at one
 * instant to thousands of patients). Every state change is ONE conditional UPDATE: the database
 * decides who wins, no slot is held or booked twice, and a hold skips rows another request has
 * locked (SKIP LOCKED) so that losers are told at once instead of queueing behind the winner.
 * The unique index on `booking_ref` keeps one booking to one slot.
 */

/** `DataSource` or a transaction's `EntityManager`. */
export type SqlRunner = Pick<DataSource, 'query'>;

const COLUMNS =
  'id, institution_id, department_id, doctor_id, starts_at, duration_min, fee_minor, currency, opens_at, status, booking_ref, held_until';

/** A slot as the rest of the platform sees it, parsed from its row. */
export const SlotRecord = z
  .object({
    id: z.string(),
    institution_id: z.string(),
    department_id: z.string(),
    doctor_id: z.string(),
    starts_at: z.date(),
    duration_min: z.number().int(),
    fee_minor: z.union([z.string(), z.number()]).transform(Number).refine(Number.isSafeInteger, 'fee exceeds safe integer range'),
    currency: z.string(),
    opens_at: z.date(),
    status: z.enum(['free', 'held', 'booked']),
    booking_ref: z.string().nullable(),
    held_until: z.date().nullable(),
  })
  .transform((r) => ({
    id: r.id,
    institutionId: r.institution_id,
    departmentId: r.department_id,
    doctorId: r.doctor_id,
    startsAt: r.starts_at,
    durationMin: r.duration_min,
    feeMinor: r.fee_minor,
    currency: r.currency.trim(),
    opensAt: r.opens_at,
    status: r.status,
    bookingRef: r.booking_ref,
    heldUntil: r.held_until,
  }));
export type SlotRecord = z.infer<typeof SlotRecord>;

async function update(db: SqlRunner, sql: string, params: unknown[]): Promise<SlotRecord[]> {
  const { rows } = updateResult(await db.query(sql, params));
  return rows.map((row) => SlotRecord.parse(row));
}

async function select(db: SqlRunner, sql: string, params: unknown[]): Promise<SlotRecord[]> {
  return z.array(SlotRecord).parse(await db.query(sql, params));
}

const UniqueViolation = z.object({ driverError: z.object({ code: z.literal('23505') }) });

/**
 * Why a hold failed, read after the fact (only losers pay for this second statement). A slot this
 * very booking already holds or booked is no refusal: a retried booking request finds it here.
 */
async function holdRefusal(db: SqlRunner, slotId: string, bookingRef: string, now: Date): Promise<SlotRecord | DomainError> {
  const [slot] = await select(db, `SELECT ${COLUMNS} FROM slots WHERE id = $1`, [slotId]);
  if (!slot) return new DomainError(ErrorCode.NotFound, 'no such slot', { slotId });
  if (slot.bookingRef === bookingRef) return slot;
  if (slot.opensAt > now)
    return new DomainError(ErrorCode.InvalidState, 'slot is not open for booking yet', { slotId, opensAt: slot.opensAt.toISOString() });
  if (slot.startsAt <= now) return new DomainError(ErrorCode.InvalidState, 'slot has already started', { slotId });
  return new DomainError(ErrorCode.SlotTaken, 'slot is taken', { slotId });
}

export interface HoldSlotInput {
  slotId: string;
  bookingRef: string;
  heldUntil: Date;
  now: Date;
}

export interface ListFreeSlotsInput {
  institutionId: string;
  doctorId?: string;
  departmentId?: string;
  /** Slots starting in [from, to). */
  from: Date;
  to: Date;
  now: Date;
  limit?: number;
}

export function createSlotRepository(db: SqlRunner) {
  return {
    /**
     * Holds a free (or expired-hold) slot that is open and has not started. Repeating the hold
     * for the same booking succeeds (activity retries, retried booking requests), and returns the
     * slot as it is when that booking already booked it. Throws SlotTaken, NotFound, InvalidState
     * (not yet open / already started) or Conflict (this booking already holds another slot).
     * A slot whose row is locked by a concurrent change counts as taken: under a rush, that
     * concurrent change is almost always the winning hold.
     */
    async holdSlot(input: HoldSlotInput): Promise<SlotRecord> {
      let rows: SlotRecord[];
      try {
        rows = await update(
          db,
          `
          WITH target AS (
            SELECT id FROM slots
             WHERE id = $1 AND opens_at <= $4 AND starts_at > $4
               AND (status = 'free' OR (status = 'held' AND (held_until <= $4 OR booking_ref = $2)))
             FOR UPDATE SKIP LOCKED)
          UPDATE slots s SET status = 'held', booking_ref = $2, held_until = $3, updated_at = now()
            FROM target WHERE s.id = target.id
          RETURNING ${COLUMNS.split(', ')
            .map((c) => `s.${c}`)
            .join(', ')}`,
          [input.slotId, input.bookingRef, input.heldUntil, input.now],
        );
      } catch (err) {
        if (UniqueViolation.safeParse(err).success) {
          throw new DomainError(ErrorCode.Conflict, 'this booking already holds another slot', { slotId: input.slotId });
        }
        throw err;
      }
      const [held] = rows;
      if (held) return held;
      const refusal = await holdRefusal(db, input.slotId, input.bookingRef, input.now);
      if (refusal instanceof DomainError) throw refusal;
      return refusal;
    },

    /**
     * Frees holds older than the grace period that no visit row records (a crash between the hold
     * and the insert). Expired holds are free to others anyway; this stops them lingering as held.
     */
    async releaseUnrecordedHolds(graceSeconds: number, limit: number): Promise<number> {
      const { rows } = updateResult(
        await db.query(
          `
          WITH orphan AS (
            SELECT s.id FROM slots s
             WHERE s.status = 'held' AND s.updated_at < now() - make_interval(secs => $1)
               AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.booking_ref = s.booking_ref)
             LIMIT $2 FOR UPDATE SKIP LOCKED)
          UPDATE slots s SET status = 'free', booking_ref = NULL, held_until = NULL, updated_at = now()
            FROM orphan WHERE s.id = orphan.id RETURNING s.id`,
          [graceSeconds, limit],
        ),
      );
      return rows.length;
    },

    /**
     * Held by this booking → booked; already booked by it → unchanged. An expired hold that nobody
     * took is still confirmed: the patient paid and the slot is still theirs. Throws SlotTaken when
     * another booking has it (or it was released), so the journey refunds.
     */
    async confirmSlot(slotId: string, bookingRef: string): Promise<SlotRecord> {
      const [booked] = await update(
        db,
        `
        UPDATE slots SET status = 'booked', held_until = NULL, updated_at = now()
         WHERE id = $1 AND booking_ref = $2 AND status IN ('held', 'booked')
        RETURNING ${COLUMNS}`,
        [slotId, bookingRef],
      );
      if (booked) return booked;
      const [slot] = await select(db, `SELECT ${COLUMNS} FROM slots WHERE id = $1`, [slotId]);
      if (!slot) throw new DomainError(ErrorCode.NotFound, 'no such slot', { slotId });
      throw new DomainError(ErrorCode.SlotTaken, 'slot is no longer held by this booking', { slotId });
    },

    /**
     * Keeps this booking's hold until at least `heldUntil` (never shortens it) while its payment is
     * still pending. `extended: false` when the booking no longer holds the slot (it lapsed and
     * another patient took it, or it was booked or released): the journey's compensation deals with that.
     */
    async extendHold(slotId: string, bookingRef: string, heldUntil: Date): Promise<{ extended: boolean }> {
      const { rows } = updateResult(
        await db.query(
          `UPDATE slots SET held_until = GREATEST(held_until, $3), updated_at = now()
            WHERE id = $1 AND booking_ref = $2 AND status = 'held' RETURNING id`,
          [slotId, bookingRef, heldUntil],
        ),
      );
      return { extended: rows.length > 0 };
    },

    /** Frees the slot if this booking holds or booked it. `released: false` when it did not (already released, or someone else's). */
    async releaseSlot(slotId: string, bookingRef: string): Promise<{ released: boolean }> {
      const [freed] = await update(
        db,
        `
        UPDATE slots SET status = 'free', booking_ref = NULL, held_until = NULL, updated_at = now()
         WHERE id = $1 AND booking_ref = $2
        RETURNING ${COLUMNS}`,
        [slotId, bookingRef],
      );
      if (freed) return { released: true };
      const exists: unknown[] = await db.query('SELECT 1 FROM slots WHERE id = $1', [slotId]);
      if (exists.length === 0) throw new DomainError(ErrorCode.NotFound, 'no such slot', { slotId });
      return { released: false };
    },

    /** Slots a patient could hold now, earliest first. Expired holds show as free; no booking refs leak. */
    async listFreeSlots(input: ListFreeSlotsInput): Promise<SlotRecord[]> {
      return select(
        db,
        `
        SELECT id, institution_id, department_id, doctor_id, starts_at, duration_min, fee_minor, currency, opens_at,
               'free' AS status, NULL::text AS booking_ref, NULL::timestamptz AS held_until
          FROM slots
         WHERE institution_id = $1 AND starts_at >= $2 AND starts_at < $3 AND starts_at > $4 AND opens_at <= $4
           AND (status = 'free' OR (status = 'held' AND held_until <= $4))
           AND ($5::text IS NULL OR doctor_id = $5) AND ($6::text IS NULL OR department_id = $6)
         ORDER BY starts_at, doctor_id, id
         LIMIT $7`,
        [input.institutionId, input.from, input.to, input.now, input.doctorId ?? null, input.departmentId ?? null, input.limit ?? 500],
      );
    },
  };
}
export type SlotRepository = ReturnType<typeof createSlotRepository>;

export const SeedScheduleInput = z.object({
  institutionId: z.string().min(1),
  departments: z.array(z.object({ id: z.string().min(1), name: z.string().min(1) })),
  doctors: z.array(
    z.object({ id: z.string().min(1), departmentId: z.string().min(1), displayName: z.string().min(1), title: z.string().default('') }),
  ),
  /** Service days, 'yyyy-mm-dd' in the institution's zone. */
  days: z.array(ServiceDay),
  slotsPerDoctorPerDay: z.number().int().positive().max(500),
  feeMinor: z.number().int().positive(),
  currency: CurrencyCode,
  /** When these slots are released to patients (the rush). */
  opensAt: z.date(),
  timeZone: z.string().refine(isValidTimeZone, 'unknown time zone'),
  /** Local time of each day's first slot. */
  firstSlotAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
    .default('08:00'),
  slotMinutes: z.number().int().positive().default(15),
});
export type SeedScheduleInput = z.infer<typeof SeedScheduleInput>;

/** Slot id: institution, doctor, day and ordinal, so that seeding twice adds nothing. */
export function seededSlotId(institutionId: string, doctorId: string, day: string, ordinal: number): string {
  return `${institutionId}:${doctorId}:${day}:${String(ordinal).padStart(3, '0')}`;
}

/** Departments, doctors and their slots for tests, the demo and the bench. Idempotent. */
export async function seedSchedule(db: SqlRunner, raw: z.input<typeof SeedScheduleInput>): Promise<{ slotIds: string[] }> {
  const input = SeedScheduleInput.parse(raw);
  const departments = new Set(input.departments.map((d) => d.id));
  for (const d of input.doctors) {
    if (!departments.has(d.departmentId))
      throw new DomainError(ErrorCode.ValidationFailed, `doctor ${d.id} names unknown department ${d.departmentId}`);
  }
  for (const d of input.departments) {
    await db.query('INSERT INTO departments (institution_id, id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      input.institutionId,
      d.id,
      d.name,
    ]);
  }
  for (const d of input.doctors) {
    await db.query(
      'INSERT INTO doctors (institution_id, id, department_id, display_name, title) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [input.institutionId, d.id, d.departmentId, d.displayName, d.title],
    );
  }
  const ids: string[] = [];
  const doctorIds: string[] = [];
  const deptIds: string[] = [];
  const starts: Date[] = [];
  for (const day of input.days) {
    const first = instantOfLocalTime(day, input.firstSlotAt, input.timeZone).getTime();
    for (const doctor of input.doctors) {
      for (let i = 0; i < input.slotsPerDoctorPerDay; i++) {
        ids.push(seededSlotId(input.institutionId, doctor.id, day, i + 1));
        doctorIds.push(doctor.id);
        deptIds.push(doctor.departmentId);
        starts.push(new Date(first + i * input.slotMinutes * 60_000));
      }
    }
  }
  const CHUNK = 5_000;
  for (let at = 0; at < ids.length; at += CHUNK) {
    const end = at + CHUNK;
    await db.query(
      `
      INSERT INTO slots (id, institution_id, department_id, doctor_id, starts_at, duration_min, fee_minor, currency, opens_at, status)
      SELECT id, $5, dept, doc, starts, $6, $7, $8, $9, 'free'
        FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS t(id, dept, doc, starts)
      ON CONFLICT (id) DO NOTHING`,
      [
        ids.slice(at, end),
        deptIds.slice(at, end),
        doctorIds.slice(at, end),
        starts.slice(at, end),
        input.institutionId,
        input.slotMinutes,
        input.feeMinor,
        input.currency,
        input.opensAt,
      ],
    );
  }
  return { slotIds: ids };
}
