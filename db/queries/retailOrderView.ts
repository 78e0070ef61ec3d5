import { z } from 'zod';
import type { SqlRunner } from '../repositories/slots';
import type { RetailOrderView } from '../../workflows/retail/order/types';

/** The channel the order view's writes are announced on (payload: `<merchant>/<order-ref>`). */
export const RETAIL_ORDER_CHANNEL = 'retail_order_views';

/** Writes the journey's view unless a newer one (higher seq) is already there, and announces it. */
export async function upsertRetailOrderView(
  db: SqlRunner,
  v: { view: RetailOrderView; userId: string | null; requestHash: string; seq: number },
): Promise<void> {
  await db.query(
    `WITH w AS (
       INSERT INTO retail_order_views AS o (merchant_id, order_ref, user_id, request_hash, stage, seq, view)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (merchant_id, order_ref) DO UPDATE SET stage = EXCLUDED.stage, seq = EXCLUDED.seq, view = EXCLUDED.view, updated_at = now()
       WHERE o.seq < EXCLUDED.seq
       RETURNING 1)
     SELECT pg_notify($8, $1 || '/' || $2) FROM w`,
    [v.view.merchantId, v.view.orderRef, v.userId, v.requestHash, v.view.stage, v.seq, JSON.stringify(v.view), RETAIL_ORDER_CHANNEL],
  );
}

const Row = z.object({
  user_id: z.string().nullable(),
  request_hash: z.string(),
  stage: z.string(),
  view: z.custom<RetailOrderView>((v) => typeof v === 'object' && v !== null),
  created_at: z.date(),
});

export async function readRetailOrderView(db: SqlRunner, merchantId: string, orderRef: string) {
  return z
    .array(Row)
    .parse(
      await db.query(
        'SELECT user_id, request_hash, stage, view, created_at FROM retail_order_views WHERE merchant_id = $1 AND order_ref = $2',
        [merchantId, orderRef],
      ),
    )[0];
}

/** A shopper's orders, newest first. */
export async function retailOrdersOfUser(db: SqlRunner, userId: string, limit: number) {
  return z
    .array(Row)
    .parse(
      await db.query(
        'SELECT user_id, request_hash, stage, view, created_at FROM retail_order_views WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2',
        [userId, limit],
      ),
    );
}

/**
 * Takes an order reference for a request before its journey starts: answers the request hash the
 * reference holds (this one's when it was free). A different hash means the till reused the
 * reference for another sale.
 */
export async function claimOrderRef(
  db: SqlRunner,
  o: { merchantId: string; orderRef: string; userId: string | null; requestHash: string; view: RetailOrderView },
): Promise<string> {
  await db.query(
    `INSERT INTO retail_order_views (merchant_id, order_ref, user_id, request_hash, stage, seq, view) VALUES ($1, $2, $3, $4, 'pricing', 0, $5)
     ON CONFLICT (merchant_id, order_ref) DO NOTHING`,
    [o.merchantId, o.orderRef, o.userId, o.requestHash, JSON.stringify(o.view)],
  );
  const rows: Array<{ request_hash: string }> = await db.query(
    'SELECT request_hash FROM retail_order_views WHERE merchant_id = $1 AND order_ref = $2',
    [o.merchantId, o.orderRef],
  );
  return rows[0]?.request_hash ?? o.requestHash;
}
