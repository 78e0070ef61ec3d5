import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { rawPublicKey } from '../../domain/transit/rideCode';
import type { SqlRunner } from './slots';

/**
 * An operator's signing keys: one root (what its gates trust; signs issuer key sets) and issuer
 * keys (sign level-1 credentials). Private keys are stored encrypted (PKCS#8 DER, base64, through
 * the same cipher as every secret at rest) and decrypted only to sign.
 */
export interface SecretCipher {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

const KeyRow = z.object({
  key_id: z.string(),
  role: z.enum(['root', 'issuer']),
  public_key: z.string(),
  private_key_enc: z.string(),
  not_before: z.date(),
  not_after: z.date().nullable(),
  revision: z.string(),
});
type KeyRow = z.infer<typeof KeyRow>;

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw Ed25519 public key, base64url. */
  publicKey: string;
  notBefore: Date;
  notAfter: Date | null;
}

const keyRows = (rows: unknown): KeyRow[] => z.array(KeyRow).parse(rows);

function unseal(row: KeyRow, cipher: SecretCipher): SigningKey {
  const der = Buffer.from(cipher.decrypt(row.private_key_enc), 'base64');
  return {
    keyId: row.key_id,
    privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    publicKey: row.public_key,
    notBefore: row.not_before,
    notAfter: row.not_after,
  };
}

/** Adds a fresh Ed25519 key; the key id is random so it says nothing about order or count. */
export async function addOperatorKey(
  db: SqlRunner,
  cipher: SecretCipher,
  k: { operatorId: string; role: 'root' | 'issuer'; notBefore?: Date; notAfter?: Date | null },
): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const keyId = `${k.role === 'root' ? 'root' : 'iss'}-${randomBytes(6).toString('hex')}`;
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  await db.query(
    `INSERT INTO transit_issuer_keys (operator_id, key_id, role, public_key, private_key_enc, not_before, not_after)
     VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7)`,
    [
      k.operatorId,
      keyId,
      k.role,
      rawPublicKey(publicKey).toString('base64url'),
      cipher.encrypt(der.toString('base64')),
      k.notBefore ?? null,
      k.notAfter ?? null,
    ],
  );
  return keyId;
}

/** A root and one issuer key for an operator that has none (seeding, tests); idempotent per role. */
export async function ensureOperatorKeys(db: SqlRunner, cipher: SecretCipher, operatorId: string): Promise<void> {
  const rows: Array<{ role: string }> = await db.query(`SELECT DISTINCT role FROM transit_issuer_keys WHERE operator_id = $1`, [
    operatorId,
  ]);
  const roles = new Set(rows.map((r) => r.role));
  if (!roles.has('root')) await addOperatorKey(db, cipher, { operatorId, role: 'root' });
  if (!roles.has('issuer')) await addOperatorKey(db, cipher, { operatorId, role: 'issuer' });
}

/** Retires a key from `at` on: it leaves the next key set and signs nothing more (the revision bump makes a new set). */
export async function retireOperatorKey(db: SqlRunner, operatorId: string, keyId: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE transit_issuer_keys SET not_after = $3, revision = nextval('transit_issuer_keys_revision')
      WHERE operator_id = $1 AND key_id = $2`,
    [operatorId, keyId, at],
  );
}

/** The issuer key that signs now: the newest one in force, so a freshly rotated key takes over at once. */
export async function currentIssuerKey(
  db: SqlRunner,
  cipher: SecretCipher,
  operatorId: string,
  now: Date,
): Promise<SigningKey | undefined> {
  const row = keyRows(
    await db.query(
      `SELECT key_id, role, public_key, private_key_enc, not_before, not_after, revision::text AS revision FROM transit_issuer_keys
        WHERE operator_id = $1 AND role = 'issuer' AND not_before <= $2 AND (not_after IS NULL OR not_after > $2)
        ORDER BY not_before DESC, created_at DESC LIMIT 1`,
      [operatorId, now],
    ),
  )[0];
  return row ? unseal(row, cipher) : undefined;
}

export interface IssuerKeySetSource {
  /** The highest revision among the operator's keys: grows with every added or retired key. */
  version: number;
  root: SigningKey;
  issuers: Array<Omit<SigningKey, 'privateKey'>>;
}

/** Everything a signed key set is made of: the root to sign it, issuer keys not yet retired at `now`. */
export async function issuerKeySetSource(
  db: SqlRunner,
  cipher: SecretCipher,
  operatorId: string,
  now: Date,
): Promise<IssuerKeySetSource | undefined> {
  const rows = keyRows(
    await db.query(
      `SELECT key_id, role, public_key, private_key_enc, not_before, not_after, revision::text AS revision
         FROM transit_issuer_keys WHERE operator_id = $1 ORDER BY not_before, key_id`,
      [operatorId],
    ),
  );
  const rootRow = rows.find((r) => r.role === 'root');
  if (!rootRow) return undefined;
  const issuers = rows
    .filter((r) => r.role === 'issuer' && (r.not_after === null || r.not_after > now))
    .map(({ key_id, public_key, not_before, not_after }) => ({
      keyId: key_id,
      publicKey: public_key,
      notBefore: not_before,
      notAfter: not_after,
    }));
  const version = Math.max(...rows.map((r) => Number(r.revision)));
  return { version, root: unseal(rootRow, cipher), issuers };
}

/** The root public key (raw, base64url) that an operator installs in its gates. */
export async function operatorRootPublicKey(db: SqlRunner, operatorId: string): Promise<string | undefined> {
  const rows: Array<{ public_key: string }> = await db.query(
    `SELECT public_key FROM transit_issuer_keys WHERE operator_id = $1 AND role = 'root'`,
    [operatorId],
  );
  return rows[0]?.public_key;
}
