import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { BACKFILLED_SEQ, upsertVisitView } from '../../db/queries/visitView';
import { visitStatusQuery } from '../../workflows/hospital/visit/definitions';

const Candidate = z.object({ booking_ref: z.string(), workflow_id: z.string() });

/**
 * Copies the status of visits whose workflow started before the read model existed (they never
 * publish) into the read model, asked from each workflow once, with BACKFILLED_SEQ so anything a
 * workflow publishes always wins. Safe to run any number of times (a copy is refreshed); run it after
 * the deploy and once more after the last such visit has ended, before retention removes it.
 */
export async function backfillVisitViews(
  db: DataSource,
  temporal: Client,
  opts: { limit?: number; institutionId?: string } = {},
): Promise<{ copied: number; gone: number; candidates: number }> {
  const rows = z.array(Candidate).parse(
    await db.query(
      `SELECT v.booking_ref, v.workflow_id FROM visits v LEFT JOIN visit_views w ON w.booking_ref = v.booking_ref
        WHERE (w.booking_ref IS NULL OR w.seq = $2) AND ($3::text IS NULL OR v.institution_id = $3)
        ORDER BY v.created_at LIMIT $1`,
      [opts.limit ?? 10_000, BACKFILLED_SEQ, opts.institutionId ?? null],
    ),
  );
  let copied = 0;
  let gone = 0;
  for (const row of rows) {
    let status;
    try {
      status = await temporal.workflow.getHandle(row.workflow_id).query(visitStatusQuery);
    } catch (err) {
      // Past retention, or never started: nothing left to copy.
      if (err instanceof WorkflowNotFoundError) {
        gone += 1;
        continue;
      }
      throw err;
    }
    // Refreshes an earlier copy (same seq) in one transaction; a row the workflow published is never touched.
    await db.transaction(async (m) => {
      await m.query('DELETE FROM visit_views WHERE booking_ref = $1 AND seq = $2', [row.booking_ref, BACKFILLED_SEQ]);
      if (await upsertVisitView(m, { status, seq: BACKFILLED_SEQ })) copied += 1;
    });
  }
  return { copied, gone, candidates: rows.length };
}
