import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { DomainError, ErrorCode } from '../domain/errors';
import type { Env } from './config';

/**
 * Who may call the codec server, decided per request. Three ways in:
 * - a static operator token (`OPERATOR_TOKENS`), for tooling against the API's `/codec`;
 * - the Web UI's OIDC access token (`CODEC_OIDC_*`), verified against the identity provider's JWKS and
 *   required to carry the operator role — the production shape for the UI (`passAccessToken`);
 * - nobody's token on the loopback-only operator listener (`CODEC_LISTEN_PORT`), where reaching
 *   127.0.0.1 on the operator's machine is the credential (the dev server's UI on `npm start`).
 */
export interface CodecCaller {
  /** For the audit log: `operator:operator-<n>`, `operator:oidc:<sub>`, `operator:loopback`. */
  actor: string;
}

export type CodecAuthenticator = (req: Request) => Promise<CodecCaller>;

function bearer(req: Request): string | undefined {
  return /^Bearer\s+(\S{1,8192})$/i.exec(req.header('authorization') ?? '')?.[1];
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** The JWKS the tokens are checked against; a function in tests that serve their own. */
  jwks: URL | JWTVerifyGetKey;
  /** Claim holding the caller's roles or groups (array, or space-separated string as in `scope`). */
  roleClaim: string;
  role: string;
}

/** Asymmetric algorithms only: an `alg: none` or HMAC token signed with a public key is refused by construction. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

function hasRole(payload: JWTPayload, claim: string, role: string): boolean {
  const value = payload[claim];
  if (typeof value === 'string') return value.split(/\s+/).includes(role);
  return Array.isArray(value) && value.includes(role);
}

/** A subject id fit for the audit log: bounded, printable. */
function safeSubject(sub: string | undefined): string {
  return (sub ?? 'unknown').replace(/[^\w.@:-]/g, '_').slice(0, 128);
}

export function codecAuthenticator(opts: { operatorTokens: readonly string[]; oidc?: OidcOptions }): CodecAuthenticator {
  const hashed = opts.operatorTokens.map((t) => createHash('sha256').update(t).digest());
  const oidc = opts.oidc;
  const getKey: JWTVerifyGetKey | undefined = oidc
    ? oidc.jwks instanceof URL
      ? createRemoteJWKSet(oidc.jwks, { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
      : oidc.jwks
    : undefined;
  return async (req) => {
    const token = bearer(req);
    if (!token) throw new DomainError(ErrorCode.Unauthenticated, 'an operator token or an OIDC access token is required');
    const h = createHash('sha256').update(token).digest();
    const idx = hashed.findIndex((x) => timingSafeEqual(x, h));
    if (idx >= 0) return { actor: `operator:operator-${idx + 1}` };
    if (oidc && getKey && JWT_SHAPE.test(token)) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: oidc.issuer,
          audience: oidc.audience,
          algorithms: ALGORITHMS,
          clockTolerance: 30,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        // Which check failed (signature, expiry, issuer, JWKS unreachable) goes to the log, not to the caller.
        const reason = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'invalid';
        throw new DomainError(ErrorCode.Forbidden, 'the access token was not accepted', { reason });
      }
      if (!hasRole(payload, oidc.roleClaim, oidc.role))
        throw new DomainError(ErrorCode.Forbidden, 'the access token lacks the operator role');
      return { actor: `operator:oidc:${safeSubject(payload.sub)}` };
    }
    throw new DomainError(ErrorCode.Forbidden, 'not an operator token');
  };
}

/** The loopback operator listener: whoever reaches it is an operator on this machine. */
export const loopbackAuthenticator: CodecAuthenticator = async () => ({ actor: 'operator:loopback' });

type CodecAuthEnv = Pick<
  Env,
  'OPERATOR_TOKENS' | 'CODEC_OIDC_ISSUER' | 'CODEC_OIDC_AUDIENCE' | 'CODEC_OIDC_JWKS_URL' | 'CODEC_OIDC_ROLE_CLAIM' | 'CODEC_OIDC_ROLE'
>;

/** The API's `/codec`: operator tokens, and OIDC access tokens when CODEC_OIDC_* is configured. */
export function codecAuthenticatorFromConfig(env: CodecAuthEnv): CodecAuthenticator {
  const oidc: OidcOptions | undefined =
    env.CODEC_OIDC_ISSUER && env.CODEC_OIDC_AUDIENCE && env.CODEC_OIDC_JWKS_URL
      ? {
          issuer: env.CODEC_OIDC_ISSUER,
          audience: env.CODEC_OIDC_AUDIENCE,
          jwks: new URL(env.CODEC_OIDC_JWKS_URL),
          roleClaim: env.CODEC_OIDC_ROLE_CLAIM,
          role: env.CODEC_OIDC_ROLE,
        }
      : undefined;
  return codecAuthenticator({ operatorTokens: env.OPERATOR_TOKENS, ...(oidc ? { oidc } : {}) });
}
