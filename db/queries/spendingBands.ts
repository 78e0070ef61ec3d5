import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { SPENDING_BAND_EDGES_MINOR, SPENDING_BANDS } from '../../domain/analytics/spendingBands';
import { GENDERS, release, type Report } from './journeyReports';

/**
 * Yearly spending bands (issue 13, item 2): recomputed per year from the ledgers by
 * `causeway_refresh_spending_bands` (db/migrations/1767610000000-SpendingBands.ts) with the edges of the
 * pure rule, and reported as an institution's distinct users per band and gender, released like every
 * other table (small cells and their complements withheld, checked against the institution's ledger).
 */

/** Recomputes one year's bands from the ledgers; the number of users banded. */
export async function refreshSpendingBands(db: Pick<DataSource, 'query'>, year: number): Promise<number> {
  const rows: Array<{ n: number }> = await db.query('SELECT causeway_refresh_spending_bands($1, $2::bigint[], $3::text[]) AS n', [
    year,
    [...SPENDING_BAND_EDGES_MINOR],
    [...SPENDING_BANDS],
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** When the year was last recomputed, if ever. */
export async function spendingBandsRefreshedAt(db: Pick<DataSource, 'query'>, year: number): Promise<Date | null> {
  const rows = z
    .array(z.object({ refreshed_at: z.date() }))
    .parse(await db.query('SELECT refreshed_at FROM spending_band_refreshes WHERE year = $1', [year]));
  return rows[0]?.refreshed_at ?? null;
}

export interface SpendingBandsReport extends Report {
  year: number;
  /** The recomputation the counts come from. */
  refreshedAt: Date;
}

/**
 * Distinct users who paid this institution in `year`, by their yearly spending band (all their spending
 * through Causeway) and gender. The year is recomputed first when its last refresh is older than
 * `maxAgeMs`, so repeated reports between refreshes release the same numbers.
 */
export async function spendingBandsReport(
  db: DataSource,
  q: { institutionId: string; year: number; k: number; maxAgeMs: number; now?: number },
): Promise<SpendingBandsReport> {
  const now = q.now ?? Date.now();
  const last = await spendingBandsRefreshedAt(db, q.year);
  if (!last || now - last.getTime() > q.maxAgeMs) await refreshSpendingBands(db, q.year);
  const refreshedAt = (await spendingBandsRefreshedAt(db, q.year)) ?? new Date(now);
  const rows = z.array(z.object({ band: z.string(), gender: z.string(), users: z.coerce.number() })).parse(
    await db.query(
      `SELECT b.band, coalesce(d.gender, 'unknown') AS gender, count(*) AS users
         FROM spending_band_institutions m
         JOIN spending_bands b ON b.year = m.year AND b.user_ref = m.user_ref
         LEFT JOIN user_demographics d ON d.user_ref = m.user_ref
        WHERE m.year = $1 AND m.institution_id = $2
        GROUP BY 1, 2`,
      [q.year, q.institutionId],
    ),
  );
  const atom = (band: string, gender: string) => `spend|${q.year}|${band}|${gender}`;
  const truth = new Map(rows.map((r) => [atom(r.band, r.gender), r.users]));
  const cells = SPENDING_BANDS.map((b) => GENDERS.map((g) => truth.get(atom(b, g)) ?? 0));
  const out = await release(
    db,
    q.institutionId,
    `spending-bands:${q.year}`,
    cells,
    (r, c) => [atom(SPENDING_BANDS[r]!, GENDERS[c]!)],
    truth,
    q.k,
  );
  return { k: q.k, release: out, rows: SPENDING_BANDS, cols: GENDERS, year: q.year, refreshedAt };
}
