import type { DataSource } from 'typeorm';
import { districtMoves } from '../../domain/retail/districtPoints';
import { lockMemberPoints } from './pointsLedger';

/**
 * The district's points for a member's order at one of its merchants, as the order now stands
 * (domain/retail/districtPoints.ts). Written with the order's view (every stage the journey publishes
 * passes here with its seq), under the member's points lock; each movement is keyed by the order and
 * the view's seq, and a write older than the last one applied for the order changes nothing, so a
 * retried or late write never counts twice nor undoes a newer figure.
 */
export async function recordDistrictPoints(
  db: DataSource,
  o: {
    districtId: string;
    /** The district's rate (its settings' `pointsPerMajor`); 0 gives nothing. */
    pointsPerMajor: number;
    merchantId: string;
    orderRef: string;
    userId: string;
    netMinor: number;
    closed: boolean;
    seq: number;
  },
): Promise<void> {
  if (o.pointsPerMajor <= 0) return;
  const orderKey = `${o.merchantId}/${o.orderRef}`;
  await db.transaction(async (tx) => {
    await lockMemberPoints(tx, o.districtId, o.userId);
    const [now]: Array<{ pending: number; released: boolean; last_seq: number }> = await tx.query(
      `SELECT coalesce(sum(pending_delta), 0)::int AS pending,
              bool_or(kind = 'release') IS TRUE AS released,
              coalesce(max(substring(movement_key FROM ':([0-9]+):[0-9]+$')::int), 0) AS last_seq
         FROM points_ledger WHERE program_id = $1 AND user_id = $2 AND order_key = $3`,
      [o.districtId, o.userId, orderKey],
    );
    if ((now?.last_seq ?? 0) >= o.seq) return;
    const moves = districtMoves(
      { netMinor: o.netMinor, closed: o.closed, pointsPerMajor: o.pointsPerMajor },
      {
        pending: now?.pending ?? 0,
        released: now?.released ?? false,
      },
    );
    for (const [i, m] of moves.entries())
      await tx.query(
        `INSERT INTO points_ledger (program_id, user_id, movement_key, kind, pending_delta, available_delta, order_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (program_id, movement_key) DO NOTHING`,
        [
          o.districtId,
          o.userId,
          `district:${orderKey}:${o.seq}:${i}`,
          m.kind,
          m.pendingDelta,
          'availableDelta' in m ? m.availableDelta : 0,
          orderKey,
        ],
      );
  });
}
