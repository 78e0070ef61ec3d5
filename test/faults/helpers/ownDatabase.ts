import 'reflect-metadata';
import { dropDatabase, ensureDatabase } from '../../../db/admin';
import { createDataSource, runMigrations } from '../../../db/dataSource';

/**
 * A migrated database of a drill's own, next to the run's shared one, for drills that break
 * PostgreSQL connections: terminating "every connection to the current database" must not reach
 * the test files running in parallel.
 */
export async function createOwnDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  const shared = process.env.DATABASE_URL;
  if (!shared) throw new Error('DATABASE_URL missing: run through jest (global set-up)');
  const url = new URL(shared);
  url.pathname = `/${url.pathname.slice(1)}_${tag}`.slice(0, 63);
  const own = url.toString();
  await ensureDatabase(own);
  const ds = createDataSource(own, { poolSize: 1 });
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  return { url: own, drop: () => dropDatabase(own) };
}
