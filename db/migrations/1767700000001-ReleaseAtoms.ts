import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Institution reports at a million journey events (bench/scenarios/reports.ts) took 3 s each, and
 * EXPLAIN ANALYZE put nearly all of it in `atoms && $2` on the release ledger: with thousands of atoms
 * on each side the overlap compares every pair, and the GIN index did not help once an institution had
 * a few hundred releases. The reports now find earlier releases by a hash join on the unnested atoms
 * (db/queries/journeyReports.ts), so the GIN index is only a cost on every insert: dropped.
 *
 * Atoms lose their region (no report tells regions apart): released counts are rewritten to the new
 * atoms, so the ledger keeps checking new releases against everything published before.
 */
/** Every released atom `vertical|day|stage|age|gender|region` becomes `vertical|day|stage|age|gender`, once per release. */
export const ATOMS_WITHOUT_REGION = `UPDATE analytics_releases SET atoms = ARRAY(
     SELECT DISTINCT CASE WHEN cardinality(string_to_array(a, '|')) = 6 THEN regexp_replace(a, '\\|[^|]*$', '') ELSE a END
       FROM unnest(atoms) AS a ORDER BY 1)
   WHERE EXISTS (SELECT 1 FROM unnest(atoms) AS a WHERE cardinality(string_to_array(a, '|')) = 6)`;

export class ReleaseAtoms1767700000001 implements MigrationInterface {
  name = 'ReleaseAtoms1767700000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_analytics_releases_atoms"');
    await q.query(ATOMS_WITHOUT_REGION);
  }

  async down(q: QueryRunner): Promise<void> {
    // The regions of released atoms are not kept: earlier releases stay on the coarser atoms.
    await q.query(`CREATE INDEX "IDX_analytics_releases_atoms" ON "analytics_releases" USING gin ("atoms")`);
  }
}
