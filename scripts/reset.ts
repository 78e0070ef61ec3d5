import { rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { dropDatabase } from '../db/admin';
import { isListening } from '../platform/embeddedPostgres';

/**
 * `npm run reset`: forgets the demo's state in both places it lives, the data folder (keys, Temporal's
 * SQLite, the embedded PostgreSQL, logs) and the local PostgreSQL database `npm start` uses, so the
 * next start begins from nothing with keys and data that agree.
 */
const Env = z.object({
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/causeway'),
  CAUSEWAY_DATA_DIR: z.string().default('data'),
});

async function main(): Promise<void> {
  const env = Env.parse(process.env);
  const dataDir = path.resolve(env.CAUSEWAY_DATA_DIR);
  const pg = new URL(env.DATABASE_URL);
  if (await isListening(pg.hostname, Number(pg.port || 5432))) {
    await dropDatabase(env.DATABASE_URL);
    process.stdout.write(`[causeway] dropped the database ${pg.host}${pg.pathname}\n`);
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`[causeway] removed ${dataDir}; \`npm start\` begins afresh\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[causeway] reset failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
