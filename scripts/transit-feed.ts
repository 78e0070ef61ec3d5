import 'reflect-metadata';
import { createDataSource } from '../db/dataSource';
import { storeFeedVersion } from '../db/repositories/transitFeeds';
import { DomainError } from '../domain/errors';
import { readFeedFiles } from '../integrations/transit/gtfs';
import { EnvSchema } from '../platform/config';

/**
 * `npm run transit:feed -- <operator-id> <feed-dir> <effective-from YYYY-MM-DD>`: stores an operator's
 * GTFS feed as a new version applying from that service day. A refused feed prints every problem
 * (file:line:field) and exits 1; the same files for the same day again are a no-op.
 */
async function main(argv: string[]): Promise<number> {
  const [operatorId, dir, effectiveFrom] = argv;
  if (!operatorId || !dir || !effectiveFrom) {
    process.stderr.write('usage: transit-feed <operator-id> <feed-dir> <effective-from YYYY-MM-DD>\n');
    return 2;
  }
  // Only the database: an operator's feed upload needs no keys or Temporal.
  const config = EnvSchema.pick({ DATABASE_URL: true }).parse(process.env);
  const db = createDataSource(config.DATABASE_URL, { poolSize: 1, applicationName: 'causeway-transit-feed' });
  await db.initialize();
  try {
    const stored = await storeFeedVersion(db, { operatorId, files: await readFeedFiles(dir), effectiveFrom });
    process.stdout.write(
      `${stored.created ? 'stored' : 'already stored'}: ${operatorId} feed version ${stored.version} from ${stored.effectiveFrom}\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    process.stderr.write(`refused: ${err.message}\n`);
    for (const f of err.details.fields ?? []) process.stderr.write(`  ${f.field}: ${f.message}\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`transit-feed failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
