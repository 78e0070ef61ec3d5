import 'reflect-metadata';
import { backfillVisitViews } from '../clients/hospital/visitBackfill';
import { loadConfig } from '../platform/config';
import { openServices } from '../platform/services';

/** `npm run backfill:visit-views`: copies the status of visits started before the read model (docs/operations.md). */
async function main(): Promise<void> {
  const services = await openServices(loadConfig(process.env), 'causeway-backfill');
  try {
    const r = await backfillVisitViews(services.db, services.temporal);
    process.stdout.write(`visits without a published status: ${r.candidates}; copied: ${r.copied}; already gone: ${r.gone}\n`);
  } finally {
    await services.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`backfill failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
