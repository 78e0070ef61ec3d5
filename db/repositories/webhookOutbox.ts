import { z } from 'zod';
import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';

/** The NOTIFY channel the outbox triggers announce new deliveries on (payload 'due'). */
export const WEBHOOK_CHANNEL = 'webhook_deliveries';

const Claimed = z.object({
  id: z.coerce.string(),
  attempts: z.number().int(),
  user_seq: z.coerce.number().int(),
  window_start: z.date(),
  endpoint_id: z.string(),
  url: z.string(),
  secret_enc: z.string(),
  previous_secret_enc: z.string().nullable(),
  previous_secret_until: z.date().nullable(),
  event_id: z.coerce.string(),
  type: z.string(),
  user_id: z.string(),
  data: z.record(z.string(), z.unknown()),
  created_at: z.date(),
});
export type ClaimedDelivery = z.infer<typeof Claimed>;

/**
 * Claims due deliveries of active endpoints (SKIP LOCKED, so API processes share the work) and leases
 * them: `next_attempt_at` moves past the attempt's timeout, so a process that dies mid-attempt leaves
 * the delivery due again once the lease ends. At least once, never lost.
 */
export async function claimDueDeliveries(
  db: SqlRunner,
  now: Date,
  leaseUntil: Date,
  limit: number,
  partners?: readonly string[],
): Promise<ClaimedDelivery[]> {
  const rows: unknown = await db.query(
    `WITH c AS (
       SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.status = 'active' AND ($4::text[] IS NULL OR e.partner_id = ANY($4::text[]))
        ORDER BY d.next_attempt_at, d.id LIMIT $3
        FOR UPDATE OF d SKIP LOCKED)
     UPDATE webhook_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
       FROM c, webhook_events ev, webhook_endpoints e
      WHERE d.id = c.id AND ev.id = d.event_id AND e.id = d.endpoint_id
     RETURNING d.id, d.attempts, d.user_seq, d.window_start, d.endpoint_id, e.url, e.secret_enc, e.previous_secret_enc, e.previous_secret_until,
               ev.id AS event_id, ev.type, ev.user_id,
               ev.data, ev.created_at`,
    [now, leaseUntil, limit, partners ? [...partners] : null],
  );
  return z.array(Claimed).parse(updateResult(rows).rows);
}

/** Records successful attempts in one statement per batch, and clears their endpoints' failing streak. */
export async function markDelivered(
  db: SqlRunner,
  done: ReadonlyArray<{ id: string; endpointId: string; httpStatus: number }>,
  at: Date,
): Promise<void> {
  if (done.length === 0) return;
  await db.query(
    `UPDATE webhook_deliveries d SET status = 'delivered', delivered_at = $3, last_http_status = x.status, last_error = NULL
       FROM unnest($1::bigint[], $2::int[]) AS x(id, status)
      WHERE d.id = x.id AND d.status = 'pending'`,
    [done.map((d) => d.id), done.map((d) => d.httpStatus), at],
  );
  await db.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ANY($1::uuid[]) AND failing_since IS NOT NULL`, [
    [...new Set(done.map((d) => d.endpointId))],
  ]);
}

/**
 * Records a failed attempt: due again at `retryAt`, or given up (null) and listed for replay. Answers
 * since when the endpoint has been failing without a success in between.
 */
export async function markAttemptFailed(
  db: SqlRunner,
  d: { id: string; endpointId: string; httpStatus: number | null; error: string; at: Date; retryAt: Date | null },
): Promise<Date> {
  if (d.retryAt)
    await db.query(
      `UPDATE webhook_deliveries SET next_attempt_at = $4, last_http_status = $2, last_error = $3 WHERE id = $1 AND status = 'pending'`,
      [d.id, d.httpStatus, d.error.slice(0, 200), d.retryAt],
    );
  else
    await db.query(
      `UPDATE webhook_deliveries SET status = 'failed', failed_at = $4, last_http_status = $2, last_error = $3
        WHERE id = $1 AND status = 'pending'`,
      [d.id, d.httpStatus, d.error.slice(0, 200), d.at],
    );
  const rows: unknown = await db.query(
    `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1 RETURNING failing_since`,
    [d.endpointId, d.at],
  );
  const row = z.array(z.object({ failing_since: z.date() })).parse(updateResult(rows).rows)[0];
  return row?.failing_since ?? d.at;
}

/** Pauses an active endpoint; true only for the call that paused it (so the partner is told once). */
export async function pauseEndpoint(db: SqlRunner, endpointId: string, reason: string, at: Date): Promise<boolean> {
  const rows: unknown = await db.query(
    `UPDATE webhook_endpoints SET status = 'paused', paused_reason = $2, paused_at = $3 WHERE id = $1 AND status = 'active' RETURNING id`,
    [endpointId, reason, at],
  );
  return updateResult(rows).affected > 0;
}

/**
 * Replays failed deliveries of the partner's endpoints: one by id, or every one that failed since a
 * time. They are due at once with a fresh delivery window; the event id and sequence stay the same,
 * so a de-duplicating receiver applies each event once however often it arrives.
 */
export async function replayFailed(
  db: SqlRunner,
  partnerId: string,
  which: { deliveryId: string } | { since: Date; endpointId?: string },
  now: Date,
): Promise<number> {
  const rows: unknown = await db.query(
    `UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = $2, window_start = $2, failed_at = NULL
       FROM webhook_endpoints e
      WHERE e.id = d.endpoint_id AND e.partner_id = $1 AND d.status = 'failed'
        AND ($3::bigint IS NULL OR d.id = $3::bigint)
        AND ($4::timestamptz IS NULL OR d.failed_at >= $4)
        AND ($5::uuid IS NULL OR d.endpoint_id = $5::uuid)
     RETURNING d.id`,
    [
      partnerId,
      now,
      'deliveryId' in which ? which.deliveryId : null,
      'since' in which ? which.since : null,
      'since' in which ? (which.endpointId ?? null) : null,
    ],
  );
  const n = updateResult(rows).affected;
  if (n > 0) await db.query(`SELECT pg_notify($1, 'due')`, [WEBHOOK_CHANNEL]);
  return n;
}
