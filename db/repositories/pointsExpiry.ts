import type { DataSource } from 'typeorm';
import { dueExpiries, expiryKeyOf, type AvailableMovement } from '../../domain/retail/expiry';
import type { SqlRunner } from './slots';
import { lockMemberPoints } from './pointsLedger';

/**
 * Applies points expiry (domain/retail/expiry.ts) to the ledger: the member's movements are read in
 * ledger order under a per-member advisory lock, and each due lot gets one `expire` movement keyed
 * by the lot, so a run repeated or retried adds nothing.
 */

/** Members of the programme holding lots at least as old as `cutoff` that no expiry has taken yet. */
export async function membersWithDueLots(db: SqlRunner, programId: string, cutoff: Date, limit: number): Promise<string[]> {
  const rows: Array<{ user_id: string }> = await db.query(
    `SELECT DISTINCT l.user_id FROM points_ledger l
      WHERE l.program_id = $1 AND l.available_delta > 0 AND l.created_at <= $2
        AND NOT EXISTS (SELECT 1 FROM points_ledger e WHERE e.program_id = l.program_id AND e.movement_key = 'expire:' || l.movement_key)
      LIMIT $3`,
    [programId, cutoff, limit],
  );
  return rows.map((r) => r.user_id);
}

/** The member's movements of available points, in ledger order (the lots expiry and its reminder read). */
export async function availableMovements(
  db: SqlRunner,
  programId: string,
  userId: string,
): Promise<Array<AvailableMovement & { orderKey: string | null }>> {
  const rows: Array<{ movement_key: string; available_delta: number; created_at: Date; order_key: string | null }> = await db.query(
    `SELECT movement_key, available_delta, created_at, order_key FROM points_ledger
      WHERE program_id = $1 AND user_id = $2 AND available_delta <> 0 ORDER BY id`,
    [programId, userId],
  );
  return rows.map((r) => ({ key: r.movement_key, availableDelta: r.available_delta, atMs: r.created_at.getTime(), orderKey: r.order_key }));
}

/** Expires the member's due points; answers how many points this call moved (0 when already done). */
export async function expireMemberPoints(
  db: DataSource,
  m: { programId: string; userId: string; ageMs: number; nowMs: number },
): Promise<number> {
  return db.transaction(async (tx) => {
    await lockMemberPoints(tx, m.programId, m.userId);
    const rows = await availableMovements(tx, m.programId, m.userId);
    const due = dueExpiries(rows, m.ageMs, m.nowMs);
    const orderOf = new Map(rows.map((r) => [r.key, r.orderKey]));
    let moved = 0;
    for (const e of due) {
      const ins: unknown[] = await tx.query(
        `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta, order_key)
         VALUES ($1, $2, $3, 'expire', 0, $4, $5) ON CONFLICT (program_id, movement_key) DO NOTHING RETURNING id`,
        [m.programId, m.userId, expiryKeyOf(e.lotKey), -e.points, orderOf.get(e.lotKey) ?? null],
      );
      if (ins.length > 0) moved += e.points;
    }
    return moved;
  });
}
