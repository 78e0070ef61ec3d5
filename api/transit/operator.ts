import type { Request } from 'express';
import type { TransitOperator } from '../../db/repositories/transitOperators';
import { readTransitOperator } from '../../db/repositories/transitOperators';
import { findRider, type RiderRecord } from '../../db/repositories/transitRiders';
import type { SqlRunner } from '../../db/repositories/slots';
import { DomainError, ErrorCode } from '../../domain/errors';
import { requireInstitution, requirePartner } from '../auth/principal';

/**
 * The operator a signed institution route names, when the signer is that operator (403 otherwise:
 * `refusal` says what it may not do) and it exists (404). `lookup` is the route's own reader (the
 * tap route's is cached).
 */
export async function ownOperator(
  req: Request,
  operatorId: string,
  lookup: (operatorId: string) => Promise<TransitOperator>,
  refusal: string,
): Promise<TransitOperator> {
  const { institutionId } = requireInstitution(req);
  if (institutionId !== operatorId) throw new DomainError(ErrorCode.Forbidden, refusal);
  return lookup(operatorId);
}

/** The partner's authenticated user as a rider of the operator: 404 for an unknown operator or no enrolment. */
export async function enrolledRider(db: SqlRunner, req: Request, operatorId: string): Promise<RiderRecord> {
  const { userId } = requirePartner(req);
  await readTransitOperator(db, operatorId);
  const rider = await findRider(db, operatorId, userId);
  if (!rider) throw new DomainError(ErrorCode.NotFound, `not enrolled with ${operatorId}`);
  return rider;
}
