import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { hashPassword } from '../../platform/passwords';
import { DomainError, ErrorCode } from '../../domain/errors';

/** Console accounts and their sessions (migration 1767500000000). */
export const ConsoleRole = z.enum(['institution_staff', 'operator']);
export type ConsoleRole = z.infer<typeof ConsoleRole>;

export const ConsoleLogin = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._@-]{3,64}$/, '3 to 64 of a-z 0-9 . _ @ -');

const AccountRow = z.object({
  id: z.string(),
  login: z.string(),
  password_hash: z.string(),
  role: ConsoleRole,
  institution_id: z.string().nullable(),
});

export interface ConsoleAccountRecord {
  id: string;
  login: string;
  passwordHash: string;
  role: ConsoleRole;
  institutionId: string | null;
}

const toAccount = (r: z.infer<typeof AccountRow>): ConsoleAccountRecord => ({
  id: r.id,
  login: r.login,
  passwordHash: r.password_hash,
  role: r.role,
  institutionId: r.institution_id,
});

export interface NewConsoleAccount {
  login: string;
  password: string;
  role: ConsoleRole;
  institutionId: string | null;
}

/**
 * Creates the account, or sets the password, role and institution of the one with that login
 * (`created` says which). Every session of an updated account ends: a reset password signs everyone out.
 */
export async function saveConsoleAccount(db: DataSource, a: NewConsoleAccount): Promise<{ id: string; created: boolean }> {
  const login = ConsoleLogin.parse(a.login);
  if ((a.role === 'operator') !== (a.institutionId === null))
    throw new DomainError(ErrorCode.ValidationFailed, 'institution staff need an institution; operators have none', {
      fields: [{ field: 'institution', message: a.role === 'operator' ? 'not for operators' : 'required for institution staff' }],
    });
  if (a.institutionId !== null) {
    const found: unknown[] = await db.query('SELECT 1 FROM institutions WHERE id = $1', [a.institutionId]);
    if (found.length === 0)
      throw new DomainError(ErrorCode.NotFound, `no institution ${a.institutionId}`, {
        fields: [{ field: 'institution', message: 'unknown' }],
      });
  }
  const hash = await hashPassword(a.password);
  return db.transaction(async (tx) => {
    const rows = z.array(z.object({ id: z.string(), created: z.boolean() })).parse(
      await tx.query(
        `INSERT INTO console_accounts (login, password_hash, role, institution_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
           institution_id = EXCLUDED.institution_id, updated_at = now()
         RETURNING id::text, (xmax = 0) AS created`,
        [login, hash, a.role, a.institutionId],
      ),
    );
    const row = rows[0]!;
    if (!row.created) await tx.query('DELETE FROM console_sessions WHERE account_id = $1', [row.id]);
    return row;
  });
}

export async function consoleAccountByLogin(db: DataSource, login: string): Promise<ConsoleAccountRecord | undefined> {
  const parsed = ConsoleLogin.safeParse(login);
  if (!parsed.success) return undefined;
  const rows = z
    .array(AccountRow)
    .parse(
      await db.query('SELECT id::text, login, password_hash, role, institution_id FROM console_accounts WHERE login = $1', [parsed.data]),
    );
  return rows[0] ? toAccount(rows[0]) : undefined;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ConsoleSession {
  account: Omit<ConsoleAccountRecord, 'passwordHash'>;
  csrfSecret: string;
  expiresAt: Date;
}

/** A new session: the token goes to the browser once; only its hash is kept. */
export async function openConsoleSession(db: DataSource, accountId: string, ttlSeconds: number): Promise<{ token: string }> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO console_sessions (token_hash, account_id, csrf_secret, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [hashToken(token), accountId, randomBytes(32).toString('base64url'), ttlSeconds],
  );
  // Expired sessions are removed as new ones open, so the table never grows with dead rows.
  await db.query(`DELETE FROM console_sessions WHERE expires_at < now() - interval '1 day'`);
  return { token };
}

const SessionRow = AccountRow.omit({ password_hash: true }).extend({ csrf_secret: z.string(), expires_at: z.date() });

export async function readConsoleSession(db: DataSource, token: string): Promise<ConsoleSession | undefined> {
  if (!/^[\w-]{20,100}$/.test(token)) return undefined;
  const rows = z.array(SessionRow).parse(
    await db.query(
      `SELECT a.id::text, a.login, a.role, a.institution_id, s.csrf_secret, s.expires_at
         FROM console_sessions s JOIN console_accounts a ON a.id = s.account_id
        WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [hashToken(token)],
    ),
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    account: { id: r.id, login: r.login, role: r.role, institutionId: r.institution_id },
    csrfSecret: r.csrf_secret,
    expiresAt: r.expires_at,
  };
}

export async function closeConsoleSession(db: DataSource, token: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE token_hash = $1', [hashToken(token)]);
}
