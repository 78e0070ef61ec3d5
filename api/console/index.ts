import { randomBytes } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { closeConsoleSession, consoleAccountByLogin, openConsoleSession } from '../../db/repositories/consoleAccounts';
import { writeAudit } from '../../db/repositories/audit';
import { DomainError, ErrorCode } from '../../domain/errors';
import { decoyHash, verifyPassword } from '../../platform/passwords';
import type { ApiDeps } from '../deps';
import type { InboxReplay } from '../hospital/inboxReplay';
import { statusOf } from '../http/problem';
import { consoleAsset } from './assets';
import { html } from './html';
import { institutionHref, institutionPages } from './institutionPages';
import { BASE, page } from './layout';
import { loginLimiter } from './loginLimiter';
import { operatorPages } from './operatorPages';
import {
  checkPost,
  clearLoginCookie,
  clearSessionCookie,
  consoleSessionOf,
  LOGIN_COOKIE,
  loginCookie,
  parseCookies,
  requireCsrf,
  SESSION_COOKIE,
  sessionCookie,
  withSession,
} from './session';

/** No inline script may run, nothing loads from elsewhere, no page frames the console. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Where to go after signing in: only a console path of ours, never another site. */
function safeNext(next: unknown): string | undefined {
  return typeof next === 'string' &&
    next.startsWith(`${BASE}/`) &&
    !next.startsWith('//') &&
    !/[\\\r\n]/.test(next) &&
    !next.startsWith(`${BASE}/login`)
    ? next
    : undefined;
}

function loginPage(res: Response, opts: { status?: number; error?: string; next?: string; login?: string }): void {
  const token = randomBytes(24).toString('base64url');
  res.setHeader('set-cookie', loginCookie(token));
  res
    .status(opts.status ?? 200)
    .type('html')
    .send(
      page({
        title: 'Sign in',
        body: html`<form class="login" method="post" action="${BASE}/login">
          <h1>Sign in</h1>
          ${opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : ''}
          <input type="hidden" name="_csrf" value="${token}" />
          ${opts.next ? html`<input type="hidden" name="next" value="${opts.next}" />` : ''}
          <label for="login">Login<input id="login" name="login" autocomplete="username" required value="${opts.login ?? ''}" /></label>
          <label for="password"
            >Password<input id="password" name="password" type="password" autocomplete="current-password" required
          /></label>
          <button class="primary" type="submit">Sign in</button>
        </form>`,
      }),
    );
}

const bodyField = (req: Request, name: string): string => {
  const body: unknown = req.body;
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : '';
};

/**
 * The web console for institution staff and operators, served under `/console` by the API process:
 * server-rendered pages, a strict Content-Security-Policy, sessions in PostgreSQL (db/repositories/
 * consoleAccounts.ts), CSRF tokens and an Origin check on every POST. Not part of the OpenAPI document.
 */
export function consoleRoutes(deps: ApiDeps, replay: InboxReplay) {
  const limiter = loginLimiter(deps.config);
  const ttl = deps.config.CONSOLE_SESSION_TTL_SECONDS;
  return (_registry: OpenAPIRegistry): Router => {
    const router = Router();
    const c = Router();
    router.use(BASE, c);

    c.use((_req, res, next) => {
      res.setHeader('content-security-policy', CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('x-frame-options', 'DENY');
      res.setHeader('referrer-policy', 'same-origin');
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      next();
    });

    c.get('/assets/:name', (req, res) => {
      const a = consoleAsset(String(req.params.name));
      if (!a) throw new DomainError(ErrorCode.NotFound, 'no such asset');
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('etag', a.etag);
      if (req.headers['if-none-match'] === a.etag) {
        res.status(304).end();
        return;
      }
      res.type(a.type).send(a.body);
    });

    c.use((_req, res, next) => {
      res.setHeader('cache-control', 'no-store');
      next();
    });

    c.get('/login', (req, res) => {
      loginPage(res, { ...(safeNext(req.query.next) ? { next: safeNext(req.query.next)! } : {}) });
    });

    c.post('/login', async (req, res) => {
      checkPost(req, parseCookies(req.headers.cookie).get(LOGIN_COOKIE) ?? '');
      const login = bodyField(req, 'login').trim().toLowerCase().slice(0, 64);
      const password = bodyField(req, 'password').slice(0, 1024);
      const next = safeNext(bodyField(req, 'next'));
      const ip = req.socket.remoteAddress ?? 'unknown';
      const wait = await limiter.blockedFor(login, ip);
      if (wait > 0) {
        res.setHeader('retry-after', String(wait));
        loginPage(res, {
          status: 429,
          error: `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`,
          login,
          ...(next ? { next } : {}),
        });
        return;
      }
      const account = await consoleAccountByLogin(deps.db, login);
      // An unknown login costs a hash check too, so it cannot be told from a wrong password by time.
      const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
      if (!account || !ok) {
        await limiter.failed(login, ip);
        await writeAudit(deps.db, {
          actor: 'console',
          action: 'console.login.refused',
          subject: account ? `console-account:${account.id}` : 'console-account:unknown',
        });
        loginPage(res, { status: 401, error: 'Wrong login or password.', login, ...(next ? { next } : {}) });
        return;
      }
      await limiter.succeeded(login);
      // A new session on every sign-in: a token planted before it never becomes a signed-in one.
      const previous = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
      if (previous) await closeConsoleSession(deps.db, previous);
      const { token } = await openConsoleSession(deps.db, account.id, ttl);
      await writeAudit(deps.db, { actor: `console:${account.id}`, action: 'console.login', subject: `console-account:${account.id}` });
      res.setHeader('set-cookie', [sessionCookie(token, ttl), clearLoginCookie()]);
      res.redirect(303, next ?? `${BASE}/`);
    });

    c.use(withSession(deps.db));

    c.post('/logout', requireCsrf(), async (_req, res) => {
      const { token } = consoleSessionOf(res);
      await closeConsoleSession(deps.db, token);
      res.setHeader('set-cookie', clearSessionCookie());
      res.redirect(303, `${BASE}/login`);
    });

    c.get('/', (_req, res) => {
      const { account } = consoleSessionOf(res).session;
      res.redirect(303, account.role === 'operator' ? `${BASE}/ops/journeys` : institutionHref(account.institutionId ?? ''));
    });

    c.use(institutionPages(deps));
    c.use(operatorPages(deps, replay));

    c.use(() => {
      throw new DomainError(ErrorCode.NotFound, 'no such page');
    });
    c.use(consoleErrors(deps));
    return router;
  };
}

/** Errors as pages (not problem+json): the status of the error's code, its message, nothing internal. */
function consoleErrors(deps: ApiDeps): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const domain = err instanceof DomainError ? err : new DomainError(ErrorCode.Internal, 'Something went wrong. The error is logged.');
    if (domain.code === ErrorCode.Internal) deps.logger.error({ err, reqId: req.id, path: req.path }, 'console error');
    else deps.logger.warn({ code: domain.code, reqId: req.id, path: req.path }, domain.message);
    if (res.headersSent) return;
    const status = statusOf(domain.code);
    const fields = domain.details.fields ?? [];
    res
      .status(status)
      .type('html')
      .send(
        page({
          title: `${status}`,
          body: html`<h1>
              ${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 422 ? 'Please check the form' : 'Error'}
            </h1>
            <p class="error" role="alert">${domain.message}</p>
            ${
              fields.length
                ? html`<ul>
                    ${fields.map((f) => html`<li><strong>${f.field}</strong>: ${f.message}</li>`)}
                  </ul>`
                : ''
            }
            <p><a href="${BASE}/">Back to the console</a></p>`,
        }),
      );
  };
}
