import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { InboxFailure } from './types';

/**
 * inbox_messages for channel 'hl7'. Conventions kept by this module:
 *  - `attempts` counts dispatch attempts. A failed row with 0 attempts was rejected at intake (it
 *    could not be parsed, its ACK was AE/AR): the sender still owns it, so a resend under the same
 *    MSH-10 may replace it. Any other row was acknowledged AA and belongs to us.
 *  - `error` holds our own reason (parser text, error code), never message content.
 */

export const CHANNEL = 'hl7';

/** Longest reason kept; parser reasons are short, an unexpected error's text may not be. */
const MAX_ERROR_CHARS = 500;

export function clipError(reason: string): string {
  return reason.length > MAX_ERROR_CHARS ? `${reason.slice(0, MAX_ERROR_CHARS - 1)}…` : reason;
}

/**
 * MSH-3^institution, shown to operators. The institution is the authenticated one when the caller
 * passes it (what MSH-4 claims is only ever equal to it for an accepted message).
 */
export function senderOf(h: { sendingApplication?: string; sendingFacility?: string }, institutionId?: string): string {
  return `${h.sendingApplication ?? ''}^${institutionId ?? h.sendingFacility ?? ''}`;
}

/** A message without a usable MSH-10 still needs a key: the body's hash makes an identical resend a duplicate. */
export function syntheticMessageId(raw: string): string {
  return `sha256:${createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, 40)}`;
}

const IdRow = z.object({ id: z.coerce.string() });
const ExistingRow = z.object({ id: z.coerce.string(), status: z.enum(['received', 'applied', 'failed']), attempts: z.number().int() });
export type ExistingRow = z.infer<typeof ExistingRow>;

export const StoredRow = z.object({
  id: z.coerce.string(),
  sender: z.string(),
  institution_id: z.string().nullable(),
  message_id: z.string(),
  correlation: z.string().nullable(),
  body_enc: z.string(),
  status: z.enum(['received', 'applied', 'failed']),
  attempts: z.number().int(),
});
export type StoredRow = z.infer<typeof StoredRow>;

export interface NewRow {
  sender: string;
  /** The authenticated institution: the de-duplication scope and the only institution the message may touch. */
  institutionId: string;
  messageId: string;
  messageType: string | null;
  correlation: string | null;
  bodyEnc: string;
  /** `received` for a message we accept; `failed` (with error) for one rejected at intake. */
  status: 'received' | 'failed';
  error: string | null;
}

/** PostgreSQL text cannot hold NUL: what a sender put in its header is kept visibly instead. */
const pgText = (v: string | null): string | null => (v === null ? null : v.replaceAll('\u0000', '\uFFFD'));
const pgRow = (row: NewRow): NewRow => ({
  ...row,
  sender: pgText(row.sender) ?? '',
  institutionId: pgText(row.institutionId) ?? '',
  messageId: pgText(row.messageId) ?? '',
  messageType: pgText(row.messageType),
  correlation: pgText(row.correlation),
  error: pgText(row.error),
});

export type InsertOutcome = { inserted: true; id: string } | { inserted: false; existing: ExistingRow };

/** The de-duplication key of a row as PostgreSQL will hold it: (institution, message id). */
export function inboxKey(row: NewRow): string {
  return `${pgText(row.institutionId) ?? ''}\u0000${pgText(row.messageId) ?? ''}`;
}

/** Inserts unless (channel, institution, message_id) exists. Returns the new row's id, or the existing row. */
export async function insertMessage(db: DataSource, rawRow: NewRow): Promise<InsertOutcome> {
  const row = pgRow(rawRow);
  const inserted: unknown[] = await db.query(
    `INSERT INTO inbox_messages (channel, sender, institution_id, message_id, message_type, correlation, body_enc, status, error, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)
     ON CONFLICT (channel, institution_id, message_id) WHERE institution_id IS NOT NULL DO NOTHING RETURNING id`,
    [CHANNEL, row.sender, row.institutionId, row.messageId, row.messageType, row.correlation, row.bodyEnc, row.status, row.error],
  );
  const first = inserted[0];
  if (first !== undefined) return { inserted: true, id: IdRow.parse(first).id };
  const existing: unknown[] = await db.query(
    'SELECT id, status, attempts FROM inbox_messages WHERE channel = $1 AND institution_id = $2 AND message_id = $3',
    [CHANNEL, row.institutionId, row.messageId],
  );
  return { inserted: false, existing: ExistingRow.parse(existing[0]) };
}

const BatchIdRow = z.object({ id: z.coerce.string(), institution_id: z.string(), message_id: z.string() });
const BatchExistingRow = ExistingRow.extend({ institution_id: z.string(), message_id: z.string() });

/**
 * `insertMessage` for many rows in one statement and one commit (see groupCommit.ts), in the order
 * given (ids follow it). Keys must be distinct within the call. An outcome is undefined only when a
 * row was neither inserted nor found afterwards; the caller must not acknowledge it.
 */
export async function insertMessages(db: DataSource, rawRows: readonly NewRow[]): Promise<Array<InsertOutcome | undefined>> {
  const rows = rawRows.map(pgRow);
  const column = <K extends keyof NewRow>(k: K): Array<NewRow[K]> => rows.map((r) => r[k]);
  // Arrays, not one placeholder per value: the statement is the same whatever the batch size.
  const inserted: unknown[] = await db.query(
    `INSERT INTO inbox_messages (channel, sender, institution_id, message_id, message_type, correlation, body_enc, status, error, attempts)
     SELECT $1, u.sender, u.institution_id, u.message_id, u.message_type, u.correlation, u.body_enc, u.status, u.error, 0
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
       WITH ORDINALITY AS u(sender, institution_id, message_id, message_type, correlation, body_enc, status, error, n)
     ORDER BY u.n
     ON CONFLICT (channel, institution_id, message_id) WHERE institution_id IS NOT NULL DO NOTHING
     RETURNING id, institution_id, message_id`,
    [
      CHANNEL,
      column('sender'),
      column('institutionId'),
      column('messageId'),
      column('messageType'),
      column('correlation'),
      column('bodyEnc'),
      column('status'),
      column('error'),
    ],
  );
  const outcomes = new Map<string, InsertOutcome>();
  for (const r of inserted) {
    const row = BatchIdRow.parse(r);
    outcomes.set(`${row.institution_id}\u0000${row.message_id}`, { inserted: true, id: row.id });
  }
  const conflicted = rows.filter((r) => !outcomes.has(inboxKey(r)));
  if (conflicted.length > 0) {
    const existing: unknown[] = await db.query(
      `SELECT id, status, attempts, institution_id, message_id FROM inbox_messages
       WHERE channel = $1 AND (institution_id, message_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [CHANNEL, conflicted.map((r) => r.institutionId), conflicted.map((r) => r.messageId)],
    );
    for (const r of existing) {
      const { institution_id, message_id, ...row } = BatchExistingRow.parse(r);
      outcomes.set(`${institution_id}\u0000${message_id}`, { inserted: false, existing: row });
    }
  }
  return rows.map((r) => outcomes.get(inboxKey(r)));
}

/**
 * A resend of a message we rejected at intake: it replaces the rejected row (same id, so its place
 * in the booking's order is kept). Conditional, so a row already accepted is never overwritten.
 */
export async function replaceRejected(db: DataSource, id: string, rawRow: NewRow): Promise<boolean> {
  const row = pgRow(rawRow);
  // Wrapped in a CTE so the driver answers plain rows (a bare UPDATE … RETURNING comes back as [rows, count]).
  const updated: unknown[] = await db.query(
    `WITH u AS (
       UPDATE inbox_messages SET message_type = $2, correlation = $3, body_enc = $4, status = $5, error = $6
       WHERE id = $1 AND status = 'failed' AND attempts = 0 RETURNING id)
     SELECT id FROM u`,
    [id, row.messageType, row.correlation, row.bodyEnc, row.status, row.error],
  );
  return updated.length > 0;
}

/** Rows of one booking waiting for dispatch, in arrival order. */
export async function receivedFor(db: DataSource, correlation: string): Promise<StoredRow[]> {
  const rows: unknown[] = await db.query(
    `SELECT id, sender, institution_id, message_id, correlation, body_enc, status, attempts FROM inbox_messages
     WHERE channel = $1 AND correlation = $2 AND status = 'received' ORDER BY id`,
    [CHANNEL, correlation],
  );
  return rows.map((r) => StoredRow.parse(r));
}

/** Whether a booking still has rows waiting: checked after a claim is released (no lost wake-up). */
export async function hasReceived(db: DataSource, correlation: string): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `SELECT EXISTS (SELECT 1 FROM inbox_messages WHERE channel = $1 AND correlation = $2 AND status = 'received') AS waiting`,
    [CHANNEL, correlation],
  );
  return z.object({ waiting: z.boolean() }).parse(rows[0]).waiting;
}

/**
 * Booking refs with rows still waiting (a crash between store and dispatch), optionally of one
 * institution (rows from before institution_id existed are filed under the MSH-4 in their sender).
 */
export async function pendingCorrelations(db: DataSource, limit: number, institutionId?: string): Promise<string[]> {
  const rows: unknown[] = await db.query(
    `SELECT correlation FROM inbox_messages WHERE channel = $1 AND status = 'received' AND correlation IS NOT NULL
       AND ($3::text IS NULL OR COALESCE(institution_id, split_part(sender, '^', 2)) = $3)
     GROUP BY correlation ORDER BY min(id) LIMIT $2`,
    [CHANNEL, limit, institutionId ?? null],
  );
  return rows.map((r) => z.object({ correlation: z.string() }).parse(r).correlation);
}

export async function loadRow(db: DataSource, id: string): Promise<StoredRow | undefined> {
  const rows: unknown[] = await db.query(
    'SELECT id, sender, institution_id, message_id, correlation, body_enc, status, attempts FROM inbox_messages WHERE channel = $1 AND id = $2',
    [CHANNEL, id],
  );
  return rows[0] === undefined ? undefined : StoredRow.parse(rows[0]);
}

/** @returns how long the row waited between its storing and now, in seconds (null if it is gone). */
export async function markApplied(db: DataSource, id: string): Promise<number | null> {
  // typeorm answers an UPDATE … RETURNING as [rows, affected].
  const [rows] = z.tuple([z.array(z.object({ waited: z.coerce.number() })), z.number()]).parse(
    await db.query(
      `UPDATE inbox_messages SET status = 'applied', error = NULL, attempts = attempts + 1, applied_at = now() WHERE id = $1
       RETURNING extract(epoch FROM applied_at - received_at) AS waited`,
      [id],
    ),
  );
  return rows[0]?.waited ?? null;
}

export async function markFailed(db: DataSource, id: string, error: string, countAttempt = true): Promise<void> {
  await db.query(`UPDATE inbox_messages SET status = 'failed', error = $2, attempts = attempts + $3 WHERE id = $1`, [
    id,
    clipError(error),
    countAttempt ? 1 : 0,
  ]);
}

/** A reprocessed row whose stored body now parses: record what it is before dispatching. */
export async function setParsed(db: DataSource, id: string, messageType: string, correlation: string): Promise<void> {
  await db.query('UPDATE inbox_messages SET message_type = $2, correlation = $3 WHERE id = $1', [id, messageType, correlation]);
}

const FailureRow = z.object({
  id: z.coerce.string(),
  sender: z.string(),
  message_id: z.string(),
  message_type: z.string().nullable(),
  correlation: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  received_at: z.coerce.date(),
});

/** Failed HL7 rows, oldest first, for the operator endpoint. Bodies stay in the database. */
export async function listFailedInbox(db: DataSource, opts: { limit: number; afterId?: string }): Promise<InboxFailure[]> {
  const limit = Math.max(1, Math.min(opts.limit, 1000));
  const rows: unknown[] = await db.query(
    `SELECT id, sender, message_id, message_type, correlation, error, attempts, received_at FROM inbox_messages
     WHERE channel = $1 AND status = 'failed' AND id > $2 ORDER BY id LIMIT $3`,
    [CHANNEL, opts.afterId ?? '0', limit],
  );
  return rows.map((r) => {
    const row = FailureRow.parse(r);
    return InboxFailure.parse({
      id: row.id,
      sender: row.sender,
      messageId: row.message_id,
      messageType: row.message_type,
      correlation: row.correlation,
      error: row.error,
      attempts: row.attempts,
      receivedAt: row.received_at,
    });
  });
}
