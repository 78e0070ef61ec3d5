import type { SqlRunner } from '../../db/repositories/slots';
import type { PiiCipher } from '../../platform/pii';

/**
 * Whether the database was filled under other keys than the data folder's `dev-keys.json` (a fresh
 * `data/` next to an old database, or the reverse). Checked before the demo touches anything: one
 * encrypted value the demo always writes, the demo hospital's secret, must decrypt.
 */
export async function databaseKeysDiffer(db: SqlRunner, pii: PiiCipher, institutionId: string): Promise<boolean> {
  const rows: Array<{ hmac_secret_enc: string }> = await db.query('SELECT hmac_secret_enc FROM institutions WHERE id = $1', [
    institutionId,
  ]);
  if (!rows[0]) return false; // a new database: nothing to disagree with
  try {
    pii.decrypt(rows[0].hmac_secret_enc);
    return false;
  } catch {
    return true;
  }
}
