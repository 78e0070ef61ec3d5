import 'reflect-metadata';
import { z } from 'zod';
import { ensureDatabase } from '../db/admin';
import { createDataSource, runMigrations } from '../db/dataSource';

/** `npm run migrate`: creates the database if missing and applies pending migrations. Needs only DATABASE_URL. */
async function main(): Promise<void> {
  const { DATABASE_URL } = z.object({ DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/causeway') }).parse(process.env);
  await ensureDatabase(DATABASE_URL).catch(() => false); // a managed database may refuse CREATE: it exists already
  const ds = createDataSource(DATABASE_URL, { poolSize: 1, applicationName: 'causeway-migrate' });
  await ds.initialize();
  const ran = await runMigrations(ds);
  await ds.destroy();
  process.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'schema up to date\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
