import type { DataSource } from 'typeorm';
import { ATOMS_WITHOUT_REGION } from '../../db/migrations/1767700000001-ReleaseAtoms';
import { openTestDb } from '../helpers/db';

/**
 * The migration that took the region out of released atoms: releases published before it keep being
 * checked against, so their atoms must become exactly what the reports now write. Runs the migration's
 * statement in a transaction that is rolled back (the run's database is shared).
 */
let db: DataSource;
beforeAll(async () => {
  db = await openTestDb(1);
});
afterAll(async () => {
  await db?.destroy();
});

type Row = { atoms: string[]; value: string };
/** Carries the rows out of a transaction that must not commit. */
class RolledBack extends Error {
  constructor(readonly rows: Row[]) {
    super('rolled back on purpose');
  }
}

it('rewrites each old atom without its region, once per release, and leaves new atoms alone', async () => {
  const inst = `ra-${Date.now().toString(36)}`;
  let rows: Row[] = [];
  await db
    .transaction(async (tx) => {
      await tx.query(
        `INSERT INTO analytics_releases (institution_id, report, atoms, value) VALUES
           ($1, 'funnel:retail', ARRAY['retail|2026-11-01|paid|30-44|female|310000', 'retail|2026-11-01|paid|30-44|female|440000',
                                       'retail|2026-11-01|paid|unknown|unknown|unknown'], 40),
           ($1, 'funnel:retail', ARRAY['retail|2026-11-02|paid|18-29|male'], 12)`,
        [inst],
      );
      await tx.query(ATOMS_WITHOUT_REGION);
      throw new RolledBack(await tx.query('SELECT atoms, value FROM analytics_releases WHERE institution_id = $1 ORDER BY id', [inst]));
    })
    .catch((err: unknown) => {
      if (!(err instanceof RolledBack)) throw err;
      rows = err.rows;
    });
  expect(rows).toEqual([
    { atoms: ['retail|2026-11-01|paid|30-44|female', 'retail|2026-11-01|paid|unknown|unknown'], value: '40' },
    { atoms: ['retail|2026-11-02|paid|18-29|male'], value: '12' },
  ]);
  const left: Array<{ n: string }> = await db.query('SELECT count(*) AS n FROM analytics_releases WHERE institution_id = $1', [inst]);
  expect(left[0]!.n).toBe('0');
});
