import type { SqlRunner } from '../../db/repositories/slots';
import type { SecretCipher } from '../../db/repositories/transitIssuerKeys';

export const DEMO_DISTRICT_ID = 'future-district';
export const DEMO_MERCHANT_ID = 'demo-noodles';

/**
 * The Future Shopping District and one of its merchants, a noodle bar. Idempotent. The refund window
 * is two minutes so the demo's pending points become available while someone is watching.
 */
export async function seedRetail(db: SqlRunner, cipher: SecretCipher, secret: string): Promise<void> {
  const upsert = `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings)
     VALUES ($1, $2, $3, 'Asia/Shanghai', $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, settings = EXCLUDED.settings`;
  await db.query(upsert, [DEMO_DISTRICT_ID, 'district', 'Future Shopping District', cipher.encrypt(secret), JSON.stringify({})]);
  await db.query(upsert, [
    DEMO_MERCHANT_ID,
    'merchant',
    'Lanzhou Noodle Bar',
    cipher.encrypt(secret),
    JSON.stringify({
      retail: {
        districtId: DEMO_DISTRICT_ID,
        refundWindowSeconds: 120,
        pointsPerMajor: 1,
        categoryMultipliers: { drink: 2 },
        userPayingPollSeconds: [2, 3, 5, 5],
      },
    }),
  ]);
}
