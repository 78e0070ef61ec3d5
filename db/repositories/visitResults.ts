import { z } from 'zod';
import { RESULT_RANK, type ResultStage } from '../../domain/hospital/resultStatus';
import type { SqlRunner } from './slots';

export interface ResultVersionRow {
  bookingRef: string;
  orderId: string;
  /** The report, encrypted with the PII cipher. */
  resultsEnc: string;
  abnormal: boolean;
  stage: ResultStage;
  inboxId: string;
}

/**
 * Stores one order's results unless the row holds a version they do not supersede: the SQL form of
 * `supersedes` (domain/hospital/resultStatus.ts), compared as (rank, inbox id) in one statement so
 * two writers cannot interleave a read and a write. Returns whether this version now stands.
 */
export async function storeResultVersion(db: SqlRunner, row: ResultVersionRow): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH w AS (
       INSERT INTO visit_results AS r (booking_ref, order_id, results_enc, abnormal, result_status, status_rank, inbox_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (booking_ref, order_id) DO UPDATE SET results_enc = EXCLUDED.results_enc, abnormal = EXCLUDED.abnormal,
         result_status = EXCLUDED.result_status, status_rank = EXCLUDED.status_rank, inbox_id = EXCLUDED.inbox_id
       WHERE (EXCLUDED.status_rank, EXCLUDED.inbox_id) >= (r.status_rank, COALESCE(r.inbox_id, 0))
       RETURNING 1)
     SELECT count(*)::int AS written FROM w`,
    [row.bookingRef, row.orderId, row.resultsEnc, row.abnormal, row.stage, RESULT_RANK[row.stage], row.inboxId],
  );
  return z.object({ written: z.number().int() }).parse(rows[0]).written > 0;
}
