import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { saveConsoleAccount } from '../../db/repositories/consoleAccounts';

export interface DemoConsoleLogin {
  login: string;
  password: string;
  who: string;
}

/**
 * The demo's console sign-ins: staff of the demo hospital and an operator. A fresh password on every
 * start (printed once, kept nowhere), so an old terminal's password stops working.
 */
export async function createDemoConsoleLogins(db: DataSource, hospitalId: string): Promise<DemoConsoleLogin[]> {
  const logins: Array<Omit<DemoConsoleLogin, 'password'> & { institutionId: string | null }> = [
    { login: 'hospital.staff', who: `staff of ${hospitalId}`, institutionId: hospitalId },
    { login: 'operator', who: 'operator', institutionId: null },
  ];
  const out: DemoConsoleLogin[] = [];
  for (const l of logins) {
    const password = randomBytes(12).toString('base64url');
    await saveConsoleAccount(db, {
      login: l.login,
      password,
      role: l.institutionId ? 'institution_staff' : 'operator',
      institutionId: l.institutionId,
    });
    out.push({ login: l.login, password, who: l.who });
  }
  return out;
}
