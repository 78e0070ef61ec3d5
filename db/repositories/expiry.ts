import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';

/**
 * Deletes idempotency keys past their TTL and institution nonces past theirs. A nonce only has to
 * outlive the signature window (a request older than that is refused on its timestamp anyway).
 */
export async function deleteExpiredKeys(
  db: SqlRunner,
  ttl: { idempotencySeconds: number; nonceSeconds: number },
): Promise<{ idempotencyKeys: number; nonces: number }> {
  const { affected: idempotencyKeys } = updateResult(
    await db.query('DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)', [ttl.idempotencySeconds]),
  );
  const { affected: nonces } = updateResult(
    await db.query('DELETE FROM request_nonces WHERE seen_at < now() - make_interval(secs => $1)', [ttl.nonceSeconds]),
  );
  return { idempotencyKeys, nonces };
}
