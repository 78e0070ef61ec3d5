import { z } from 'zod';
import type { SqlRunner } from './slots';

export const ClaimRecord = z.object({
  id: z.string(),
  service_day: z.string(),
  journey_id: z.string(),
  to_stop_id: z.string(),
  status: z.enum(['accepted', 'refused']),
  reason: z.string().nullable(),
  created_at: z.date(),
});
export type ClaimRecord = z.infer<typeof ClaimRecord>;

const COLUMNS = 'id, service_day, journey_id, to_stop_id, status, reason, created_at';

export async function findClaim(
  db: SqlRunner,
  k: { operatorId: string; riderRef: string; serviceDay: string; journeyId: string },
): Promise<ClaimRecord | undefined> {
  const rows: unknown = await db.query(
    `SELECT ${COLUMNS} FROM transit_claims WHERE operator_id = $1 AND rider_ref = $2 AND service_day = $3 AND journey_id = $4`,
    [k.operatorId, k.riderRef, k.serviceDay, k.journeyId],
  );
  return z.array(ClaimRecord).parse(rows)[0];
}

/** Claims accepted since the start of the current calendar month (UTC). */
export async function acceptedClaimsThisMonth(db: SqlRunner, k: { operatorId: string; riderRef: string }): Promise<number> {
  const rows: Array<{ n: string }> = await db.query(
    `SELECT count(*) AS n FROM transit_claims
      WHERE operator_id = $1 AND rider_ref = $2 AND status = 'accepted' AND created_at >= date_trunc('month', now())`,
    [k.operatorId, k.riderRef],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function insertClaim(
  db: SqlRunner,
  c: {
    id: string;
    operatorId: string;
    riderRef: string;
    serviceDay: string;
    journeyId: string;
    toStopId: string;
    status: 'accepted' | 'refused';
    reason: string | null;
  },
): Promise<ClaimRecord | undefined> {
  const rows: unknown = await db.query(
    `INSERT INTO transit_claims (id, operator_id, rider_ref, service_day, journey_id, to_stop_id, status, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [c.id, c.operatorId, c.riderRef, c.serviceDay, c.journeyId, c.toStopId, c.status, c.reason],
  );
  return z.array(ClaimRecord).parse(rows)[0];
}

export async function claimsOf(db: SqlRunner, k: { operatorId: string; riderRef: string }, limit = 50): Promise<ClaimRecord[]> {
  const rows: unknown = await db.query(
    `SELECT ${COLUMNS} FROM transit_claims WHERE operator_id = $1 AND rider_ref = $2 ORDER BY created_at DESC LIMIT $3`,
    [k.operatorId, k.riderRef, limit],
  );
  return z.array(ClaimRecord).parse(rows);
}

/** The pseudonym a tap was made with: a claimed tap-off is stored under the journey's tap-on pseudonym. */
export async function pseudonymOfTap(db: SqlRunner, operatorId: string, tapId: string): Promise<string | undefined> {
  const rows: Array<{ pseudonym: string }> = await db.query(`SELECT pseudonym FROM transit_taps WHERE operator_id = $1 AND tap_id = $2`, [
    operatorId,
    tapId,
  ]);
  return rows[0]?.pseudonym;
}
