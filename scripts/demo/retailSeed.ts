import type { SqlRunner } from '../../db/repositories/slots';
import type { SecretCipher } from '../../db/repositories/transitIssuerKeys';

export const DEMO_DISTRICT_ID = 'future-district';

/** The Future Shopping District; its merchants join through onboarding (scripts/demo/onboarding.ts). Idempotent. */
export async function seedRetail(db: SqlRunner, cipher: SecretCipher, secret: string): Promise<void> {
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings)
     VALUES ($1, 'district', 'Future Shopping District', 'Asia/Shanghai', $2, '{}')
     ON CONFLICT (id) DO NOTHING`,
    [DEMO_DISTRICT_ID, cipher.encrypt(secret)],
  );
}
