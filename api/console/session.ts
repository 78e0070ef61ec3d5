import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { readConsoleSession, type ConsoleSession } from '../../db/repositories/consoleAccounts';
import { DomainError, ErrorCode } from '../../domain/errors';
import { originAllowed, tokensMatch } from './csrf';
import { BASE } from './layout';

/** The session cookie: HttpOnly, Secure (browsers treat http://localhost as secure), SameSite=Strict, only under /console. */
export const SESSION_COOKIE = 'causeway_console';
/** Before sign-in there is no session: the sign-in form's token is double-submitted in this cookie instead. */
export const LOGIN_COOKIE = 'causeway_console_login';
const LOGIN_PATH = `${BASE}/login`;

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

export function cookie(name: string, value: string, path: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export const sessionCookie = (token: string, ttl: number) => cookie(SESSION_COOKIE, token, BASE, ttl);
export const clearSessionCookie = () => cookie(SESSION_COOKIE, '', BASE, 0);
export const loginCookie = (token: string) => cookie(LOGIN_COOKIE, token, LOGIN_PATH, 1_800);
export const clearLoginCookie = () => cookie(LOGIN_COOKIE, '', LOGIN_PATH, 0);

export interface ConsoleLocals {
  session: ConsoleSession;
  token: string;
}

export function consoleSessionOf(res: Response): ConsoleLocals {
  const c = (res.locals as { console?: ConsoleLocals }).console;
  if (!c) throw new DomainError(ErrorCode.Unauthenticated, 'sign in to the console');
  return c;
}

/** Loads the session named by the cookie; without one, pages redirect to the sign-in form. */
export function withSession(db: DataSource): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const session = token ? await readConsoleSession(db, token) : undefined;
    if (!session || !token) {
      if (req.method === 'GET' && !req.path.endsWith('.csv')) {
        res.redirect(303, `${LOGIN_PATH}?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      throw new DomainError(ErrorCode.Unauthenticated, 'sign in to the console');
    }
    (res.locals as { console?: ConsoleLocals }).console = { session, token };
    next();
  };
}

/** Every POST: the Origin must be this host, and the form must carry the expected token. */
export function checkPost(req: Request, expected: string): void {
  if (!originAllowed(req.header('origin'), req.header('host')))
    throw new DomainError(ErrorCode.Forbidden, 'the request did not come from a console page (Origin)');
  const body: unknown = req.body;
  const given = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined;
  if (!tokensMatch(expected, given)) throw new DomainError(ErrorCode.Forbidden, 'the form is missing its token or the token is stale');
}

/** For POSTs under a session: the session's CSRF secret. */
export function requireCsrf(): RequestHandler {
  return (req, res, next) => {
    checkPost(req, consoleSessionOf(res).session.csrfSecret);
    next();
  };
}
