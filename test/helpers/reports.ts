import type { DataSource } from 'typeorm';

/** A released count as the report routes answer it: the value, or null and why it is withheld. */
export interface ReleasedEntry {
  value: number | null;
  why: string;
}

/** A released table (demographics, funnel, spending bands) as the report routes answer it. */
export interface ReleasedTable {
  rows: string[];
  cols: string[];
  k?: number;
  cells: ReleasedEntry[][];
  rowTotals: ReleasedEntry[];
  colTotals: ReleasedEntry[];
  total: ReleasedEntry;
}

/**
 * `n` new people in one demographic cell whose retail order at `merchantId` reached `stage` at noon
 * (Shanghai) on `serviceDay`: journey events queued for the roller, as the live triggers write them.
 */
export async function seedRetailEvents(
  db: Pick<DataSource, 'query'>,
  e: { merchantId: string; serviceDay: string; stage: string; ageBand: string; gender: string; n: number },
): Promise<void> {
  await db.query(
    `WITH people AS (
       INSERT INTO user_demographics (user_ref, age_band, gender, region_code)
         SELECT 'seed-' || gen_random_uuid(), $3, $4, '310000' FROM generate_series(1, $5) RETURNING user_ref),
     events AS (
       INSERT INTO journey_events (journey_id, vertical, institution_id, stage, at, user_ref)
         SELECT 'retail-order/' || $1 || '/' || user_ref, 'retail', $1, $2, ($6 || ' 12:00:00+08')::timestamptz, user_ref FROM people
       RETURNING id)
     INSERT INTO journey_events_pending (event_id) SELECT id FROM events`,
    [e.merchantId, e.stage, e.ageBand, e.gender, e.n, e.serviceDay],
  );
}
