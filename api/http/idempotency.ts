import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Env } from '../../platform/config';
import { principalKey, principalOf, rawBodyOf } from '../auth/principal';

/**
 * `Idempotency-Key` on creating POSTs: the first request's answer is stored; the same key with the
 * same body replays it, with a different body gets 409. A request that failed with a 5xx frees its
 * key so the client can retry. Keys expire after `IDEMPOTENCY_TTL_SECONDS` (then the key is new
 * again; a sweep deletes them). A key whose first request never finished (the process died
 * mid-request) is held only for `IDEMPOTENCY_LEASE_SECONDS`: after that the same request retried
 * takes the key over instead of getting 409 forever.
 */
export function idempotency(db: DataSource, config: Pick<Env, 'IDEMPOTENCY_TTL_SECONDS' | 'IDEMPOTENCY_LEASE_SECONDS'>): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('idempotency-key');
    if (!key) return next();
    try {
      if (key.length > 200)
        throw new DomainError(ErrorCode.ValidationFailed, 'Idempotency-Key too long', {
          fields: [{ field: 'headers.idempotency-key', message: 'at most 200 characters' }],
        });
      const principal = principalOf(req);
      if (!principal) throw new DomainError(ErrorCode.Unauthenticated, 'authentication required');
      const who = principalKey(principal);
      const requestHash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`).update(rawBodyOf(req)).digest('hex');
      // One statement decides: a new key, an expired key (any request), or an abandoned in-progress
      // key of the SAME request (lease over) is ours; anything else is answered from the stored row.
      const inserted: unknown[] = await db.query(
        `INSERT INTO idempotency_keys AS k (principal, key, request_hash, lease_until)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))
         ON CONFLICT (principal, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL,
                created_at = now(), lease_until = EXCLUDED.lease_until
          WHERE k.created_at < now() - make_interval(secs => $5)
             OR (k.response_status IS NULL AND k.request_hash = EXCLUDED.request_hash
                 AND COALESCE(k.lease_until, k.created_at + make_interval(secs => $4)) < now())
         RETURNING key`,
        [who, key, requestHash, config.IDEMPOTENCY_LEASE_SECONDS, config.IDEMPOTENCY_TTL_SECONDS],
      );
      if (inserted.length === 0) {
        const rows: Array<{ request_hash: string; response_status: number | null; response_body: unknown }> = await db.query(
          'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE principal = $1 AND key = $2',
          [who, key],
        );
        const row = rows[0];
        if (!row || row.request_hash !== requestHash)
          throw new DomainError(ErrorCode.IdempotencyKeyReused, 'Idempotency-Key was used with a different request');
        if (row.response_status === null)
          throw new DomainError(ErrorCode.Conflict, 'a request with this Idempotency-Key is still in progress');
        res.setHeader('idempotent-replayed', 'true');
        const type = row.response_status >= 400 ? 'application/problem+json' : 'application/json';
        res.status(row.response_status).type(type).send(JSON.stringify(row.response_body));
        return;
      }
      captureResponse(res, async (status, body) => {
        if (status >= 500) await db.query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2', [who, key]);
        else
          await db.query('UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE principal = $1 AND key = $2', [
            who,
            key,
            status,
            JSON.stringify(body ?? null),
          ]);
      });
      next();
    } catch (err) {
      next(err);
    }
  };
}

function captureResponse(res: Response, store: (status: number, body: unknown) => Promise<void>): void {
  const original = res.json.bind(res);
  res.json = (body: unknown) => {
    // Store before answering, so a client that retries at once sees the stored answer.
    store(res.statusCode, body).then(
      () => original(body),
      () => original(body),
    );
    return res;
  };
}
