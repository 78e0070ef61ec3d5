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

/**
 * The member's points lock, for the rest of the transaction: every step that reads a balance and writes
 * the movement it allows (spending, giving back, expiry) takes it, so two such steps never interleave.
 */
export async function lockMemberPoints(tx: Pick<DataSource, 'query'>, programId: string, userId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`points:${programId}/${userId}`]);
}

/**
 * Spends up to `wanted` available points on an order, once: the movement `redeem:<order>` is written
 * under the member's lock after reading the balance, so two tills can never spend the same points. A
 * retry finds the movement and answers what it spent.
 */
export async function redeemOrderPoints(
  db: DataSource,
  r: { programId: string; userId: string; orderKey: string; wanted: number; usable: (available: number) => number },
): Promise<number> {
  return db.transaction(async (tx) => {
    await lockMemberPoints(tx, r.programId, r.userId);
    const key = `redeem:${r.orderKey}`;
    const done: Array<{ available_delta: number }> = await tx.query(
      'SELECT available_delta FROM points_ledger WHERE program_id = $1 AND movement_key = $2',
      [r.programId, key],
    );
    if (done[0]) return -done[0].available_delta;
    const { available } = await pointsBalance(tx, r.programId, r.userId);
    const points = Math.min(r.usable(Math.min(r.wanted, Math.max(0, available))), available);
    if (points <= 0) return 0;
    await recordPoints(tx, { ...r, key, kind: 'redeem', pendingDelta: 0, availableDelta: -points, orderKey: r.orderKey });
    return points;
  });
}

/**
 * Gives spent points back for an order: `share` of them (a refund of some units), or whatever is still
 * out (`'rest'`: the order failed, or its last units were refunded). Idempotent by `key`; returns the
 * points given back by this call or by the earlier one with the same key.
 */
export async function restoreOrderPoints(
  db: DataSource,
  r: { programId: string; orderKey: string; key: string; points: number | 'rest' },
): Promise<number> {
  const spent: Array<{ program_id: string; user_id: string; available_delta: number }> = await db.query(
    'SELECT program_id, user_id, available_delta FROM points_ledger WHERE program_id = $1 AND movement_key = $2',
    [r.programId, `redeem:${r.orderKey}`],
  );
  const redeem = spent[0];
  if (!redeem) return 0;
  return db.transaction(async (tx) => {
    await lockMemberPoints(tx, redeem.program_id, redeem.user_id);
    const rows: Array<{ movement_key: string; available_delta: number }> = await tx.query(
      "SELECT movement_key, available_delta FROM points_ledger WHERE program_id = $1 AND user_id = $2 AND order_key = $3 AND kind = 'restore'",
      [redeem.program_id, redeem.user_id, r.orderKey],
    );
    const same = rows.find((x) => x.movement_key === r.key);
    if (same) return same.available_delta;
    const out = -redeem.available_delta - rows.reduce((s, x) => s + x.available_delta, 0);
    const points = Math.max(0, Math.min(out, r.points === 'rest' ? out : r.points));
    if (points === 0) return 0;
    await recordPoints(tx, {
      programId: redeem.program_id,
      userId: redeem.user_id,
      key: r.key,
      kind: 'restore',
      pendingDelta: 0,
      availableDelta: points,
      orderKey: r.orderKey,
    });
    return points;
  });
}
