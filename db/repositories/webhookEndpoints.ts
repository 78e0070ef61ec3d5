import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';
import { WEBHOOK_CHANNEL } from './webhookOutbox';

/** Encrypts and decrypts endpoint secrets (the PII cipher): signing needs them back, so they cannot be hashed. */
export interface SecretCipher {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

/** How long the replaced secret still signs after a rotation: a day for the partner to deploy the new one. */
export const PREVIOUS_SECRET_LIVE_MS = 24 * 3_600_000;

const EndpointRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  status: z.enum(['active', 'paused']),
  paused_reason: z.string().nullable(),
  paused_at: z.date().nullable(),
  failing_since: z.date().nullable(),
  previous_secret_until: z.date().nullable(),
  created_at: z.date(),
});
export type EndpointRow = z.infer<typeof EndpointRow>;
const COLUMNS = 'id, partner_id, url, event_types, status, paused_reason, paused_at, failing_since, previous_secret_until, created_at';

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export async function createEndpoint(
  db: SqlRunner,
  cipher: SecretCipher,
  e: { partnerId: string; url: string; eventTypes: readonly string[] },
): Promise<{ endpoint: EndpointRow; secret: string }> {
  const secret = newSecret();
  const rows: unknown = await db.query(
    `INSERT INTO webhook_endpoints (id, partner_id, url, event_types, secret_enc, status)
     VALUES ($1, $2, $3, $4, $5, 'active') RETURNING ${COLUMNS}`,
    [randomUUID(), e.partnerId, e.url, [...e.eventTypes], cipher.encrypt(secret)],
  );
  return { endpoint: z.array(EndpointRow).parse(rows)[0]!, secret };
}

export async function listEndpoints(db: SqlRunner, partnerId: string): Promise<EndpointRow[]> {
  return z
    .array(EndpointRow)
    .parse(await db.query(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE partner_id = $1 ORDER BY created_at, id`, [partnerId]));
}

/** Endpoints a partner may hold: each one is a stream of deliveries for every event. */
export async function countEndpoints(db: SqlRunner, partnerId: string): Promise<number> {
  const rows: Array<{ n: number }> = await db.query('SELECT count(*)::int AS n FROM webhook_endpoints WHERE partner_id = $1', [partnerId]);
  return rows[0]?.n ?? 0;
}

/** A new current secret; the old one keeps signing (as a second v1) for a day. Null when not the partner's. */
export async function rotateSecret(
  db: SqlRunner,
  cipher: SecretCipher,
  partnerId: string,
  endpointId: string,
  nowMs: number,
): Promise<{ secret: string; previousUntil: Date } | null> {
  const secret = newSecret();
  const previousUntil = new Date(nowMs + PREVIOUS_SECRET_LIVE_MS);
  const rows: unknown = await db.query(
    `UPDATE webhook_endpoints SET previous_secret_enc = secret_enc, previous_secret_until = $4, secret_enc = $3
      WHERE id = $1 AND partner_id = $2 RETURNING id`,
    [endpointId, partnerId, cipher.encrypt(secret), previousUntil],
  );
  return updateResult(rows).affected > 0 ? { secret, previousUntil } : null;
}

/** Resumes a paused endpoint: its pending deliveries are due at once. False when not the partner's. */
export async function resumeEndpoint(db: SqlRunner, partnerId: string, endpointId: string, now: Date): Promise<boolean> {
  const rows: unknown = await db.query(
    `UPDATE webhook_endpoints SET status = 'active', paused_reason = NULL, paused_at = NULL, failing_since = NULL
      WHERE id = $1 AND partner_id = $2 RETURNING id`,
    [endpointId, partnerId],
  );
  if (updateResult(rows).affected === 0) return false;
  await db.query(`UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE endpoint_id = $1 AND status = 'pending'`, [endpointId, now]);
  await db.query(`SELECT pg_notify($1, 'due')`, [WEBHOOK_CHANNEL]);
  return true;
}

/** The secrets that sign a delivery now: the current one, and the previous one while it is live. */
export function liveSecrets(
  cipher: SecretCipher,
  e: { secret_enc: string; previous_secret_enc: string | null; previous_secret_until: Date | null },
  nowMs: number,
): string[] {
  const live = e.previous_secret_enc !== null && e.previous_secret_until !== null && e.previous_secret_until.getTime() > nowMs;
  return [cipher.decrypt(e.secret_enc), ...(live ? [cipher.decrypt(e.previous_secret_enc!)] : [])];
}

/**
 * Removes an endpoint with its deliveries (delivered, waiting or failed): nothing is sent to it again.
 * False when it is not the partner's.
 */
export async function deleteEndpoint(db: SqlRunner, partnerId: string, endpointId: string): Promise<boolean> {
  const rows: Array<{ n: number }> = await db.query(
    `WITH e AS (SELECT id FROM webhook_endpoints WHERE id = $1 AND partner_id = $2),
          d AS (DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT id FROM e)),
          s AS (DELETE FROM webhook_user_sequences WHERE endpoint_id IN (SELECT id FROM e))
     SELECT count(*)::int AS n FROM e`,
    [endpointId, partnerId],
  );
  if ((rows[0]?.n ?? 0) === 0) return false;
  await db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND partner_id = $2', [endpointId, partnerId]);
  return true;
}
