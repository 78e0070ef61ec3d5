import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/dataSource';

/** The run's migrated database (created by the global set-up). Each test file uses its own ids. */
export async function openTestDb(poolSize = 4): Promise<DataSource> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL missing: run through jest (global set-up)');
  const ds = createDataSource(url, { poolSize, applicationName: 'causeway-test' });
  await ds.initialize();
  return ds;
}
