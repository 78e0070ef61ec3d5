import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { QueueConfig, QueueState } from '../../domain/hospital/queue';
import { OWN_VISIT_COLUMNS, OWN_VISIT_FROM, OWN_VISIT_WHERE, parseOwnVisit, type OwnVisit } from './partnerVisits';

/** The NOTIFY channel of doctor-queue snapshot changes; the payload is `institution/doctor/day`. */
export const QUEUE_VIEW_CHANNEL = 'doctor_queue_views';

export interface DoctorQueueKey {
  institutionId: string;
  doctorId: string;
  serviceDay: string;
}

export function queueViewKey(k: DoctorQueueKey): string {
  return `${k.institutionId}/${k.doctorId}/${k.serviceDay}`;
}

export interface DoctorQueueView {
  config: QueueConfig;
  state: QueueState;
  closing: boolean;
  seq: number;
}

const Row = z.object({
  config: z.object({ returnAfter: z.number() }).loose(),
  state: z.object({
    waiting: z.array(z.object({ ref: z.string(), arrivedAtMs: z.number(), returned: z.boolean(), nearNotified: z.boolean() })),
    skipped: z.array(z.object({ ref: z.string(), skippedAtMs: z.number() })),
    current: z.object({ ref: z.string(), calledAtMs: z.number() }).nullable(),
    closed: z.record(z.string(), z.enum(['served', 'left'])),
    stats: z.object({}).loose(),
    lastCall: z.object({ callId: z.string(), ref: z.string().nullable(), calledAtMs: z.number() }).nullable(),
  }),
  closing: z.boolean(),
  seq: z.coerce.number().int(),
});

/** Writes the queue's snapshot unless a newer one is stored; notifies listeners in the same statement. */
export async function upsertDoctorQueueView(
  db: DataSource,
  v: DoctorQueueKey & { config: QueueConfig; state: QueueState; closing: boolean; seq: number },
): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH up AS (
       INSERT INTO doctor_queue_views (institution_id, doctor_id, service_day, config, state, closing, seq, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, now())
       ON CONFLICT (institution_id, doctor_id, service_day) DO UPDATE
         SET config = EXCLUDED.config, state = EXCLUDED.state, closing = EXCLUDED.closing, seq = EXCLUDED.seq, updated_at = now()
         WHERE doctor_queue_views.seq < EXCLUDED.seq
       RETURNING institution_id, doctor_id, service_day)
     SELECT pg_notify('${QUEUE_VIEW_CHANNEL}', institution_id || '/' || doctor_id || '/' || service_day) FROM up`,
    [v.institutionId, v.doctorId, v.serviceDay, JSON.stringify(v.config), JSON.stringify(v.state), v.closing, v.seq],
  );
  return rows.length > 0;
}

export async function readDoctorQueueView(db: DataSource, k: DoctorQueueKey): Promise<DoctorQueueView | null> {
  const rows: unknown[] = await db.query(
    'SELECT config, state, closing, seq FROM doctor_queue_views WHERE institution_id = $1 AND doctor_id = $2 AND service_day = $3',
    [k.institutionId, k.doctorId, k.serviceDay],
  );
  if (!rows[0]) return null;
  const row = Row.parse(rows[0]);
  return { config: row.config as unknown as QueueConfig, state: row.state as unknown as QueueState, closing: row.closing, seq: row.seq };
}

/**
 * Parsed snapshots by queue key, kept while their seq is the stored one. A seq is written once (the
 * upsert only ever replaces a lower seq), so the same key and seq is the same snapshot: a read that
 * finds the seq it parsed last time reuses that parse instead of validating the whole queue again.
 * The parse is shared between reads, so it is only handed to code that reads it (readOwnQueueView's
 * callers compute a position). Bounded: the oldest entries go first.
 */
const parsed = new Map<string, DoctorQueueView>();
const PARSED_MAX = 2_000;

function parseQueueRow(key: string, raw: unknown): DoctorQueueView {
  const seq = Number((raw as { seq?: unknown }).seq);
  const hit = parsed.get(key);
  if (hit && hit.seq === seq) return hit;
  const row = Row.parse(raw);
  const view = {
    config: row.config as unknown as QueueConfig,
    state: row.state as unknown as QueueState,
    closing: row.closing,
    seq: row.seq,
  };
  parsed.delete(key);
  parsed.set(key, view);
  if (parsed.size > PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
  return view;
}

/** What the queue read needs of the visit's own projection: its stage and the place the check-in answered. */
export interface JoinedQueue {
  stage: string;
  queue: { position: number | null; etaMinutes: number | null };
}
const Joined = z.object({
  stage: z.string(),
  queue: z.object({ position: z.number().int().nullable(), etaMinutes: z.number().nullable() }).loose(),
});

/**
 * A user's own visit with its doctor's queue snapshot (the queue of the slot's service day, in the
 * hospital's time zone) and its own projection's queue fields, in one round trip (`GET /v1/visits/:ref/queue`).
 * Null when the visit is not theirs.
 */
export async function readOwnQueueView(
  db: DataSource,
  bookingRef: string,
  userId: string,
): Promise<{ visit: OwnVisit; snapshot: DoctorQueueView | null; joined: JoinedQueue | null } | null> {
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT ${OWN_VISIT_COLUMNS}, q.service_day AS q_day, q.config AS q_config, q.state AS q_state, q.closing AS q_closing, q.seq AS q_seq,
            vv.stage AS joined_stage, vv.status -> 'queue' AS joined_queue
       FROM ${OWN_VISIT_FROM}
       LEFT JOIN doctor_queue_views q
         ON q.institution_id = v.institution_id AND q.doctor_id = v.doctor_id
        AND q.service_day = to_char(s.starts_at AT TIME ZONE i.time_zone, 'YYYY-MM-DD')
       LEFT JOIN visit_views vv ON vv.booking_ref = v.booking_ref
      WHERE ${OWN_VISIT_WHERE}`,
    [bookingRef, userId],
  );
  const row = rows[0];
  if (!row) return null;
  const visit = parseOwnVisit(row);
  const snapshot =
    row.q_seq === null || row.q_seq === undefined
      ? null
      : parseQueueRow(`${visit.institution_id}/${visit.doctor_id}/${String(row.q_day)}`, {
          config: row.q_config,
          state: row.q_state,
          closing: row.q_closing,
          seq: row.q_seq,
        });
  const joined =
    row.joined_stage === null || row.joined_stage === undefined ? null : Joined.parse({ stage: row.joined_stage, queue: row.joined_queue });
  return { visit, snapshot, joined };
}
