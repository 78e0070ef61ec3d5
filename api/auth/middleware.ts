import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../domain/errors';
import { signRequest, signatureMatches, withinWindow } from '../../domain/requestSignature';
import type { PartnerLimits, RateLimiter } from '../http/limits';
import { rawBodyOf, setPrincipal } from './principal';

export interface SecretBox {
  decrypt(ciphertext: string): string;
}

const UNKNOWN_INSTITUTION_SECRET = randomBytes(32).toString('hex');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

type PartnerRow = { id: string; user_id: string | null; identity_status: string | null; user_ref: string | null };

/** Entries a process keeps at most; the oldest go first (a Map iterates in insertion order). */
const AUTH_CACHE_MAX = 10_000;

/**
 * Partner apps: `Authorization: Bearer <api key>` (stored hashed) and, for user routes,
 * `X-Causeway-User: <user id>` naming one of the partner's own users.
 *
 * Answers are cached for `limits.authCacheMs` (PARTNER_AUTH_CACHE_MS, a couple of seconds; 0 turns it
 * off), keyed by the key's hash and the user id: at read rates the lookup was a round trip per request.
 * Only a known partner with a *verified* user (or no user asked for) is kept, so a new user, one still
 * being verified or a rejected one is always read fresh and a verification is seen at once; a revoked
 * key or an erased user stops working on every process within that TTL. Unknown keys are never cached,
 * and the rate limits below still run on every request.
 */
export function partnerAuth(db: DataSource, opts: { userRequired: boolean; limits?: PartnerLimits }): RequestHandler {
  const cacheMs = opts.limits?.authCacheMs ?? 0;
  const cache = new Map<string, { until: number; row: PartnerRow }>();
  const lookup = async (keyHash: string, userId: string | null): Promise<PartnerRow | undefined> => {
    const cacheKey = `${keyHash}:${userId ?? ''}`;
    const hit = cacheMs > 0 ? cache.get(cacheKey) : undefined;
    if (hit && hit.until > Date.now()) return hit.row;
    // One round trip for the partner and (when named) its user.
    const rows: PartnerRow[] = await db.query(
      `SELECT p.id, u.id AS user_id, u.identity_status, u.user_ref
         FROM partners p LEFT JOIN users u ON u.id = $2::uuid AND u.partner_id = p.id
        WHERE p.api_key_hash = $1`,
      [keyHash, userId],
    );
    const row = rows[0];
    cache.delete(cacheKey);
    if (cacheMs > 0 && row && (userId === null || row.identity_status === 'verified')) {
      cache.set(cacheKey, { until: Date.now() + cacheMs, row });
      if (cache.size > AUTH_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    }
    return row;
  };
  return async (req, _res, next) => {
    try {
      const key = bearer(req.header('authorization'));
      if (!key) throw new DomainError(ErrorCode.Unauthenticated, 'missing partner API key (Authorization: Bearer …)');
      const userId = req.header('x-causeway-user') ?? '';
      if (opts.userRequired && !UUID.test(userId))
        throw new DomainError(ErrorCode.Unauthenticated, 'missing or malformed X-Causeway-User header');
      const partner = await lookup(hashApiKey(key), opts.userRequired ? userId : null);
      if (!partner) throw new DomainError(ErrorCode.Unauthenticated, 'unknown partner API key');
      if (opts.userRequired && partner.user_id === null) throw new DomainError(ErrorCode.Unauthenticated, 'unknown user for this partner');
      // Rate limits after authentication, so a stranger cannot spend a partner's budget; the user's
      // first, so one user over their limit does not drain the budget of the partner's other users.
      if (opts.userRequired) await opts.limits?.user.take(`${partner.id}:${userId}`);
      await opts.limits?.partner.take(partner.id);
      setPrincipal(req, {
        kind: 'partner',
        partnerId: partner.id,
        userId,
        ...(partner.identity_status !== null && partner.user_ref !== null
          ? { user: { identityStatus: partner.identity_status, userRef: partner.user_ref } }
          : {}),
      });
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Institutions: HMAC-signed requests with a timestamp (five-minute window) and a single-use nonce. */
export function institutionAuth(
  db: DataSource,
  secrets: SecretBox,
  opts: { now?: () => number; limiter?: RateLimiter } = {},
): RequestHandler {
  const now = opts.now ?? Date.now;
  return async (req, _res, next) => {
    try {
      const institutionId = req.header('x-causeway-institution') ?? '';
      const timestamp = req.header('x-causeway-timestamp') ?? '';
      const nonce = req.header('x-causeway-nonce') ?? '';
      const signature = req.header('x-causeway-signature') ?? '';
      if (!institutionId || !timestamp || !nonce || !/^[0-9a-f]{64}$/i.test(signature) || nonce.length > 128) {
        throw new DomainError(
          ErrorCode.Unauthenticated,
          'missing institution signature headers (X-Causeway-Institution, -Timestamp, -Nonce, -Signature)',
        );
      }
      if (!withinWindow(Number(timestamp), now()))
        throw new DomainError(ErrorCode.InvalidSignature, 'timestamp outside the five-minute window');
      const rows: Array<{ hmac_secret_enc: string }> = await db.query('SELECT hmac_secret_enc FROM institutions WHERE id = $1', [
        institutionId,
      ]);
      const row = rows[0];
      // An unknown institution is answered exactly like a wrong signature (same code, status and
      // text, and an HMAC computed all the same), so institution ids cannot be enumerated.
      const expected = signRequest(
        row ? secrets.decrypt(row.hmac_secret_enc) : UNKNOWN_INSTITUTION_SECRET,
        req.method,
        req.originalUrl.split('?')[0] ?? '',
        timestamp,
        nonce,
        rawBodyOf(req),
      );
      if (!signatureMatches(expected, signature) || !row)
        throw new DomainError(ErrorCode.InvalidSignature, 'request signature does not match');
      const fresh: unknown[] = await db.query(
        'INSERT INTO request_nonces (institution_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING nonce',
        [institutionId, nonce],
      );
      if (fresh.length === 0) throw new DomainError(ErrorCode.ReplayedRequest, 'nonce already used');
      // After the signature: nobody can spend a hospital's budget by naming it.
      await opts.limiter?.take(institutionId);
      setPrincipal(req, { kind: 'institution', institutionId });
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Operators: a bearer token from configuration, compared in constant time. */
export function operatorAuth(tokens: readonly string[]): RequestHandler {
  const hashed = tokens.map((t) => createHash('sha256').update(t).digest());
  return (req, _res, next) => {
    const token = bearer(req.header('authorization'));
    if (!token) return next(new DomainError(ErrorCode.Unauthenticated, 'operator token required'));
    const h = createHash('sha256').update(token).digest();
    const idx = hashed.findIndex((x) => timingSafeEqual(x, h));
    if (idx < 0) return next(new DomainError(ErrorCode.Forbidden, 'not an operator token'));
    setPrincipal(req, { kind: 'operator', operatorId: `operator-${idx + 1}` });
    next();
  };
}
