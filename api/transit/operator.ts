import { findTransitOperator, type TransitOperator } from '../../db/repositories/transitRiders';
import type { SqlRunner } from '../../db/repositories/slots';
import { DomainError, ErrorCode } from '../../domain/errors';

/** The transit operator a route names, or 404: every transit route starts here. */
export async function requireTransitOperator(db: SqlRunner, operatorId: string): Promise<TransitOperator> {
  const operator = await findTransitOperator(db, operatorId);
  if (!operator) throw new DomainError(ErrorCode.NotFound, `no transit operator ${operatorId}`);
  return operator;
}
