import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { QueueConfig, QueueState } from '../../domain/hospital/queue';

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
