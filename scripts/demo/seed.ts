import { hashApiKey } from '../../api/auth/middleware';
import type { Services } from '../../platform/services';
import type { DevKeys } from './devKeys';

export const DEMO_PARTNER_ID = 'demo-app';
export const DEMO_HOSPITAL_ID = 'demo-hospital';

/** A partner app and a hospital for the demo; idempotent, so every start can run it. */
export async function seedDemo(services: Services, keys: DevKeys): Promise<void> {
  const { db, pii } = services;
  await db.query(
    `INSERT INTO partners (id, name, api_key_hash) VALUES ($1, 'Demo partner app', $2)
     ON CONFLICT (id) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash`,
    [DEMO_PARTNER_ID, hashApiKey(keys.partnerApiKey)],
  );
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port)
     VALUES ($1, 'hospital', 'Demo People''s Hospital', 'Asia/Shanghai', $2, '127.0.0.1', 2576)
     ON CONFLICT (id) DO NOTHING`,
    [DEMO_HOSPITAL_ID, pii.encrypt(keys.hospitalSecret)],
  );
}
