import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';

const DeliveryRow = z.object({
  id: z.coerce.string(),
  event_id: z.coerce.string(),
  endpoint_id: z.string(),
  type: z.string(),
  user_seq: z.coerce.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  last_http_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: z.date(),
  delivered_at: z.date().nullable(),
  failed_at: z.date().nullable(),
  created_at: z.date(),
});
export type DeliveryRow = z.infer<typeof DeliveryRow>;

/** The partner's deliveries, newest first (cursor = the last id of the previous page); the failed-delivery dashboard. */
export async function listDeliveries(
  db: SqlRunner,
  f: { partnerId: string; status?: 'pending' | 'delivered' | 'failed'; endpointId?: string; before?: string; limit: number },
): Promise<{ deliveries: DeliveryRow[]; nextCursor: string | null }> {
  const rows = z.array(DeliveryRow).parse(
    await db.query(
      `SELECT d.id, d.event_id, d.endpoint_id, ev.type, d.user_seq, d.status, d.attempts, d.last_http_status, d.last_error,
              d.next_attempt_at, d.delivered_at, d.failed_at, d.created_at
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN webhook_events ev ON ev.id = d.event_id
        WHERE e.partner_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::uuid IS NULL OR d.endpoint_id = $3::uuid)
          AND ($4::bigint IS NULL OR d.id < $4::bigint)
        ORDER BY d.id DESC LIMIT $5`,
      [f.partnerId, f.status ?? null, f.endpointId ?? null, f.before ?? null, f.limit + 1],
    ),
  );
  const page = rows.slice(0, f.limit);
  return { deliveries: page, nextCursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}
