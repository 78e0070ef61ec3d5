import { dropDatabase } from '../db/admin';

export default async function globalTeardown(): Promise<void> {
  if (process.env.CAUSEWAY_TEST_INFRA === 'none') return;
  await globalThis.__causewayServer?.stop();
  if (process.env.DATABASE_URL?.includes('causeway_test_')) await dropDatabase(process.env.DATABASE_URL);
}
