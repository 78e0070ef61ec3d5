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

/**
 * Partner apps: `Authorization: Bearer <api key>` (stored hashed) and, for user routes,
 * `X-Causeway-User: <user id>` naming one of the partner's own users.
 */
export function partnerAuth(db: DataSource, opts: { userRequired: boolean; limits?: PartnerLimits }): RequestHandler {
  return async (req, _res, next) => {
    try {
      const key = bearer(req.header('authorization'));
      if (!key) throw new DomainError(ErrorCode.Unauthenticated, 'missing partner API key (Authorization: Bearer …)');
      const userId = req.header('x-causeway-user') ?? '';
      if (opts.userRequired && !UUID.test(userId))
        throw new DomainError(ErrorCode.Unauthenticated, 'missing or malformed X-Causeway-User header');
      // One round trip for the partner and (when named) its user: this runs before every partner request.
      const rows: Array<{ id: string; user_id: string | null; identity_status: string | null; user_ref: string | null }> = await db.query(
        `SELECT p.id, u.id AS user_id, u.identity_status, u.user_ref
           FROM partners p LEFT JOIN users u ON u.id = $2::uuid AND u.partner_id = p.id
          WHERE p.api_key_hash = $1`,
        [hashApiKey(key), opts.userRequired ? userId : null],
      );
      const partner = rows[0];
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
