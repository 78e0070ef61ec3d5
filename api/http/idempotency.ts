import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../domain/errors';
import { principalKey, principalOf, rawBodyOf } from '../auth/principal';

/**
 * `Idempotency-Key` on creating POSTs: the first request's answer is stored; the same key with the
 * same body replays it, with a different body gets 409. A request that failed with a 5xx frees its
 * key so the client can retry. A request still "in progress" after `takeOverAfterMs` was lost with
 * its process (no answer will ever be stored), so a retry takes it over and runs again; the routes
 * that use this middleware make every step safe to repeat.
 */
export function idempotency(db: DataSource, opts: { takeOverAfterMs?: number } = {}): RequestHandler {
  const takeOverAfterMs = opts.takeOverAfterMs ?? 30_000;
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
      const inserted: unknown[] = await db.query(
        'INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key',
        [who, key, requestHash],
      );
      if (inserted.length === 0) {
        const rows: Array<{ request_hash: string; response_status: number | null; response_body: unknown }> = await db.query(
          'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE principal = $1 AND key = $2',
          [who, key],
        );
        const row = rows[0];
        if (!row || row.request_hash !== requestHash)
          throw new DomainError(ErrorCode.IdempotencyKeyReused, 'Idempotency-Key was used with a different request');
        if (row.response_status === null) {
          const taken: unknown[] = await db.query(
            `UPDATE idempotency_keys SET created_at = now() WHERE principal = $1 AND key = $2 AND response_status IS NULL
               AND created_at < now() - make_interval(secs => $3) RETURNING key`,
            [who, key, takeOverAfterMs / 1000],
          );
          if (taken.length === 0) throw new DomainError(ErrorCode.Conflict, 'a request with this Idempotency-Key is still in progress');
          captureResponse(res, storeAnswer(db, who, key));
          return next();
        }
        res.setHeader('idempotent-replayed', 'true');
        const type = row.response_status >= 400 ? 'application/problem+json' : 'application/json';
        res.status(row.response_status).type(type).send(JSON.stringify(row.response_body));
        return;
      }
      captureResponse(res, storeAnswer(db, who, key));
      next();
    } catch (err) {
      next(err);
    }
  };
}

function storeAnswer(db: DataSource, who: string, key: string): (status: number, body: unknown) => Promise<void> {
  return async (status, body) => {
    if (status >= 500) await db.query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2', [who, key]);
    else
      await db.query('UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE principal = $1 AND key = $2', [
        who,
        key,
        status,
        JSON.stringify(body ?? null),
      ]);
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
