import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { releaseTable, type TableRelease } from '../../domain/analytics/release';
import type { ReleasedCount } from '../../domain/analytics/releaseLedger';

/**
 * The institution's reports, read from the rollups (never from journey events or workflows), made safe
 * to show by the release rules and remembered in `analytics_releases`, so the next report is checked
 * against everything this institution has seen. Days are whole local days of the institution, so a
 * released count never changes afterwards.
 */

export const AGE_BANDS = ['0-17', '18-29', '30-44', '45-59', '60+', 'unknown'] as const;
export const GENDERS = ['female', 'male', 'unknown'] as const;

/** The stages each vertical's funnel counts, in order. */
export const FUNNELS = {
  hospital: ['holding', 'awaiting_payment', 'booked', 'queued', 'called', 'closed'],
  transit: ['priced', 'awaiting_settlement', 'settled', 'in_debt'],
  retail: ['pricing', 'paying', 'paid', 'closed'],
} as const;
export type Vertical = keyof typeof FUNNELS;
/**
 * Second funnels, of other journeys than the vertical's own: a merchant's or district's coupons, from the
 * claim to their use and a refund that gave them back; a transit operator's riders, from enrolment to their
 * first ride and settled day, and from a first debt to its clearing.
 */
export const OTHER_FUNNELS = {
  coupons: { vertical: 'retail', stages: ['claimed', 'used', 'refunded'] },
  riders: { vertical: 'transit', stages: ['enrolled', 'first_ride', 'settled', 'in_debt', 'cleared'] },
} as const;
export type OtherFunnel = keyof typeof OTHER_FUNNELS;

const Cell = z.object({
  bucket: z.string(),
  stage: z.string(),
  age_band: z.string(),
  gender: z.string(),
  events: z.coerce.number(),
});
type Cell = z.infer<typeof Cell>;

/**
 * The finest group any report tells apart: a day, a stage, an age band and a gender. Regions are
 * summed away because no report breaks counts down by region; an atom per region made every release
 * ten times larger (slow at a million events) and let a small group spread over two regions escape the
 * derivation check, which judges atoms one by one.
 */
const atomOf = (vertical: string, c: Pick<Cell, 'bucket' | 'stage' | 'age_band' | 'gender'>) =>
  `${vertical}|${c.bucket}|${c.stage}|${c.age_band}|${c.gender}`;

/** Folds committed journey events into the rollups (one roller at a time; a no-op when nothing waits). */
export async function rollUpJourneyEvents(db: Pick<DataSource, 'query'>, max = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const rows: Array<{ n: number }> = await db.query('SELECT causeway_roll_up_journey_events($1) AS n', [max]);
    const n = Number(rows[0]?.n ?? 0);
    total += n;
    if (n < max) return total;
  }
}

async function dayCells(
  db: Pick<DataSource, 'query'>,
  institutionId: string,
  vertical: Vertical,
  from: string,
  to: string,
): Promise<Cell[]> {
  return z.array(Cell).parse(
    await db.query(
      `SELECT bucket, stage, age_band, gender, sum(events) AS events FROM journey_rollups
        WHERE institution_id = $1 AND vertical = $2 AND grain = 'day' AND bucket BETWEEN $3 AND $4
        GROUP BY bucket, stage, age_band, gender`,
      [institutionId, vertical, from, to],
    ),
  );
}

export interface Report {
  k: number;
  release: TableRelease;
  rows: readonly string[];
  cols: readonly string[];
}

/**
 * Runs one release for an institution under its lock: reads the earlier releases that share groups
 * with this one, applies the rules, and records what is published, all in one transaction.
 */
export async function release(
  db: DataSource,
  institutionId: string,
  report: string,
  cells: number[][],
  atomsOf: (r: number, c: number) => readonly string[],
  truth: ReadonlyMap<string, number>,
  k: number,
  opts: { rowTotalsPublic?: boolean } = {},
): Promise<TableRelease> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`analytics:${institutionId}`]);
    const touched = [...new Set(cells.flatMap((row, r) => row.flatMap((_, c) => [...atomsOf(r, c)])))];
    const previous: ReleasedCount[] = z.array(z.object({ atoms: z.array(z.string()), value: z.coerce.number() })).parse(
      // A hash join of the institution's released atoms with this release's: `atoms && $2` compared
      // every pair of strings (seconds at a million journey events, bench/scenarios/reports.ts).
      await tx.query(
        `SELECT r.atoms, r.value FROM analytics_releases r
            WHERE r.institution_id = $1 AND r.id IN (
              SELECT p.id FROM analytics_releases p CROSS JOIN LATERAL unnest(p.atoms) AS released(atom)
                JOIN unnest($2::text[]) AS touched(atom) ON touched.atom = released.atom
               WHERE p.institution_id = $1)
            ORDER BY r.id`,
        [institutionId, touched],
      ),
    );
    const out = releaseTable({ cells, atomsOf }, previous, (a) => truth.get(a) ?? 0, k, opts);
    // A count already in the ledger with the same value adds nothing: the same report asked again
    // does not grow the ledger (nor the next check's work).
    const keyOf = (c: ReleasedCount) => `${[...c.atoms].sort().join('\u001f')}=${c.value}`;
    const known = new Set(previous.map(keyOf));
    const fresh = out.published.filter((c) => c.atoms.length > 0 && !known.has(keyOf(c)));
    if (fresh.length)
      await tx.query(
        `INSERT INTO analytics_releases (institution_id, report, atoms, value)
           SELECT $1, $2, string_to_array(a, chr(31)), v FROM unnest($3::text[], $4::bigint[]) AS t(a, v)`,
        [institutionId, report, fresh.map((c) => c.atoms.join('\u001f')), fresh.map((c) => c.value)],
      );
    return out;
  });
}

/**
 * Journeys that reached `stage` between two local days, by age band and gender: the demographics
 * page's table. Every cell is 0 or at least k, complements are withheld, and nothing in it can be
 * subtracted from an earlier release to single out fewer than k people.
 */
export async function demographicsReport(
  db: DataSource,
  q: { institutionId: string; vertical: Vertical; stage: string; from: string; to: string; k: number },
): Promise<Report> {
  await rollUpJourneyEvents(db);
  const rows = (await dayCells(db, q.institutionId, q.vertical, q.from, q.to)).filter((c) => c.stage === q.stage);
  const truth = new Map<string, number>();
  const atoms = AGE_BANDS.map(() => GENDERS.map((): string[] => []));
  const cells = AGE_BANDS.map(() => GENDERS.map(() => 0));
  for (const c of rows) {
    const r = AGE_BANDS.indexOf(c.age_band as (typeof AGE_BANDS)[number]);
    const g = GENDERS.indexOf(c.gender as (typeof GENDERS)[number]);
    if (r < 0 || g < 0) continue;
    const atom = atomOf(q.vertical, c);
    truth.set(atom, (truth.get(atom) ?? 0) + c.events);
    atoms[r]![g]!.push(atom);
    cells[r]![g]! += c.events;
  }
  const out = await release(db, q.institutionId, `demographics:${q.vertical}:${q.stage}`, cells, (r, c) => atoms[r]![c]!, truth, q.k);
  return { k: q.k, release: out, rows: AGE_BANDS, cols: GENDERS };
}

/**
 * The funnel: journeys reaching each stage of the vertical between two local days (one column per
 * stage, one row per day), each count released under the same rules.
 */
export async function funnelReport(
  db: DataSource,
  q: { institutionId: string; vertical: Vertical; from: string; to: string; k: number; funnel?: OtherFunnel },
): Promise<Report> {
  await rollUpJourneyEvents(db);
  const other = q.funnel && OTHER_FUNNELS[q.funnel].vertical === q.vertical ? q.funnel : undefined;
  const stages: readonly string[] = other ? OTHER_FUNNELS[other].stages : FUNNELS[q.vertical];
  const rows = await dayCells(db, q.institutionId, q.vertical, q.from, q.to);
  const days = [...new Set(rows.map((c) => c.bucket))].sort();
  const truth = new Map<string, number>();
  const atoms = days.map(() => stages.map((): string[] => []));
  const cells = days.map(() => stages.map(() => 0));
  for (const c of rows) {
    const d = days.indexOf(c.bucket);
    const s = stages.indexOf(c.stage);
    if (s < 0) continue;
    const atom = atomOf(q.vertical, c);
    truth.set(atom, (truth.get(atom) ?? 0) + c.events);
    atoms[d]![s]!.push(atom);
    cells[d]![s]! += c.events;
  }
  const report = other ? `funnel:${q.vertical}:${other}` : `funnel:${q.vertical}`;
  const out = await release(db, q.institutionId, report, cells, (r, c) => atoms[r]![c]!, truth, q.k);
  return { k: q.k, release: out, rows: days, cols: stages };
}
