import { randomBytes } from 'node:crypto';
import type { SqlRunner } from '../../db/repositories/slots';
import type { SecretCipher } from '../../db/repositories/transitIssuerKeys';
import { seedTransitOperator } from '../../scripts/demo/transitSeed';

/** A fresh transit operator (unique id, its own keys and HMAC secret) seeded the way the demo seeds one. */
export async function createTestTransitOperator(
  db: SqlRunner,
  cipher: SecretCipher,
  over: { id?: string; timeZone?: string } = {},
): Promise<{ id: string; secret: string }> {
  const id = over.id ?? `metro-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  await seedTransitOperator(db, cipher, { id, name: `Test transit ${id}`, timeZone: over.timeZone ?? 'Asia/Shanghai', secret });
  return { id, secret };
}
