import { z } from 'zod';
import type { SqlRunner } from './slots';

/**
 * The audit log: who did what to which subject. Append-only; `details` must carry no PII (ids,
 * references, counts and reasons only), because operators read it in the clear.
 */
export interface AuditEntry {
  /** `operator:<token id>`, `partner:<id>`, `institution:<id>`, `system:<component>`. */
  actor: string;
  /** A dotted verb, e.g. `codec.decode`, `inbox.replay`, `user.register.refused`. */
  action: string;
  /** What was acted on: a workflow id, an inbox id, a user ref. */
  subject: string;
  details?: Record<string, string | number | boolean | null>;
}

export async function writeAudit(db: SqlRunner, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)', [
    entry.actor,
    entry.action,
    entry.subject,
    JSON.stringify(entry.details ?? {}),
  ]);
}

/** Several entries in one statement: a read that must audit every record it shows, without a round trip each. */
export async function writeAudits(db: SqlRunner, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO audit_log (actor, action, subject, details)
     SELECT a, b, c, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS e(a, b, c, d)`,
    [
      entries.map((e) => e.actor),
      entries.map((e) => e.action),
      entries.map((e) => e.subject),
      entries.map((e) => JSON.stringify(e.details ?? {})),
    ],
  );
}

/** The same entry (actor, action, subject, details) once: for writers that may run again (a retried activity). */
export async function writeAuditOnce(db: SqlRunner, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor, action, subject, details)
     SELECT $1, $2, $3, $4::jsonb
      WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND details = $4::jsonb)`,
    [entry.actor, entry.action, entry.subject, JSON.stringify(entry.details ?? {})],
  );
}

export const AuditRecord = z.object({
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  at: z.date(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** The newest entries for a subject or action, for operators and tests. */
export async function recentAudit(db: SqlRunner, filter: { action?: string; subject?: string; limit?: number }): Promise<AuditRecord[]> {
  const rows: unknown = await db.query(
    `SELECT actor, action, subject, details, at FROM audit_log
      WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR subject = $2)
      ORDER BY id DESC LIMIT $3`,
    [filter.action ?? null, filter.subject ?? null, Math.min(filter.limit ?? 100, 1000)],
  );
  return z.array(AuditRecord).parse(rows);
}
