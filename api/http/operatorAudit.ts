import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { writeAudit } from '../../db/repositories/audit';
import { DomainError } from '../../domain/errors';
import { requireOperator } from '../auth/principal';

type Detail = Record<string, string | number | boolean | null>;

/**
 * Runs an operator action and writes it to the audit log, with its outcome, whether it succeeded or
 * failed: every operator route goes through here. `details` must hold no PII (ids, counts, codes).
 */
export async function audited<T>(
  db: DataSource,
  req: Request,
  action: string,
  subject: string,
  run: () => Promise<T>,
  details: (result: T) => Detail = () => ({}),
): Promise<T> {
  const actor = `operator:${requireOperator(req).operatorId}`;
  try {
    const result = await run();
    await writeAudit(db, { actor, action, subject, details: { outcome: 'ok', ...details(result) } });
    return result;
  } catch (err) {
    const code = err instanceof DomainError ? err.code : 'internal';
    await writeAudit(db, { actor, action, subject, details: { outcome: 'error', code } });
    throw err;
  }
}
