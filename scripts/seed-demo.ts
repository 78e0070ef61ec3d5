import 'reflect-metadata';
import { z } from 'zod';
import { createDataSource } from '../db/dataSource';
import { loadConfig } from '../platform/config';
import { PiiCipher } from '../platform/pii';
import { seedDemo } from './demo/seed';

/**
 * Seeds the demo partner app and hospital into a running deployment (docker compose runs it after
 * the migrations). The partner's API key is whatever DEMO_PARTNER_API_KEY says: a demo, not a secret.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const demo = z
    .object({
      DEMO_PARTNER_API_KEY: z.string().min(16).default('pk_demo_compose_change_me'),
      DEMO_HOSPITAL_SECRET: z.string().min(16).default('demo-hospital-secret-change-me'),
      DEMO_HIS_HOST: z.string().default('127.0.0.1'),
    })
    .parse(process.env);
  const db = createDataSource(config.DATABASE_URL, { poolSize: 1, applicationName: 'causeway-seed' });
  await db.initialize();
  const pii = new PiiCipher({ keys: config.PII_KEYS, activeKeyId: config.PII_ACTIVE_KEY_ID, hmacKey: config.PII_HMAC_KEY });
  await seedDemo(
    { db, pii },
    { partnerApiKey: demo.DEMO_PARTNER_API_KEY, hospitalSecret: demo.DEMO_HOSPITAL_SECRET, hisHost: demo.DEMO_HIS_HOST },
  );
  await db.destroy();
  process.stdout.write('demo partner app and hospital seeded\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
