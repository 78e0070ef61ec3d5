import type { DataSource } from 'typeorm';
import type { MovementKind } from '../../domain/retail/points';

/**
 * The points ledger: append-only, one row per movement, each idempotent by its key within the
 * programme (a merchant or a district). A member's balance is the sum of their rows, never a stored
 * counter that could drift from them.
 */
export async function recordPoints(
  db: Pick<DataSource, 'query'>,
  m: {
    programId: string;
    userId: string;
    key: string;
    kind: MovementKind;
    pendingDelta: number;
    availableDelta: number;
    orderKey?: string;
  },
): Promise<boolean> {
  if (!Number.isInteger(m.pendingDelta) || !Number.isInteger(m.availableDelta)) throw new RangeError('whole points');
  const rows: unknown[] = await db.query(
    `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta, order_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (program_id, movement_key) DO NOTHING RETURNING id`,
    [m.programId, m.userId, m.key, m.kind, m.pendingDelta, m.availableDelta, m.orderKey ?? null],
  );
  return rows.length > 0;
}

export async function pointsBalance(
  db: Pick<DataSource, 'query'>,
  programId: string,
  userId: string,
): Promise<{ pending: number; available: number }> {
  const rows: Array<{ pending: number; available: number }> = await db.query(
    `SELECT coalesce(sum(pending_delta), 0)::int AS pending, coalesce(sum(available_delta), 0)::int AS available
       FROM points_ledger WHERE program_id = $1 AND user_id = $2`,
    [programId, userId],
  );
  return rows[0] ?? { pending: 0, available: 0 };
}

/** A member's movements, newest first (the history the shopper sees). */
export async function pointsHistory(db: Pick<DataSource, 'query'>, programId: string, userId: string, limit: number) {
  const rows: Array<{ kind: string; pending_delta: number; available_delta: number; order_key: string | null; created_at: Date }> =
    await db.query(
      `SELECT kind, pending_delta, available_delta, order_key, created_at FROM points_ledger
      WHERE program_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3`,
      [programId, userId, limit],
    );
  return rows;
}
