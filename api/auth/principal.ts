import type { Request } from 'express';
import { DomainError, ErrorCode } from '../../domain/errors';

/** Who is calling: set by the audience's authentication middleware, read by handlers. */
export type Principal =
  | { kind: 'partner'; partnerId: string; userId: string; user?: { identityStatus: string; userRef: string } }
  | { kind: 'institution'; institutionId: string }
  | { kind: 'operator'; operatorId: string };

const KEY = Symbol('causeway.principal');
type WithPrincipal = Request & { [KEY]?: Principal };

export function setPrincipal(req: Request, p: Principal): void {
  (req as WithPrincipal)[KEY] = p;
}

export function principalOf(req: Request): Principal | undefined {
  return (req as WithPrincipal)[KEY];
}

export function requirePartner(req: Request): Extract<Principal, { kind: 'partner' }> {
  const p = principalOf(req);
  if (p?.kind !== 'partner') throw new DomainError(ErrorCode.Unauthenticated, 'partner authentication required');
  return p;
}

export function requireInstitution(req: Request): Extract<Principal, { kind: 'institution' }> {
  const p = principalOf(req);
  if (p?.kind !== 'institution') throw new DomainError(ErrorCode.Unauthenticated, 'institution authentication required');
  return p;
}

export function principalKey(p: Principal): string {
  switch (p.kind) {
    case 'partner':
      return `partner:${p.partnerId}:${p.userId}`;
    case 'institution':
      return `institution:${p.institutionId}`;
    case 'operator':
      return `operator:${p.operatorId}`;
  }
}

export function rawBodyOf(req: Request): Buffer {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  return raw ?? Buffer.alloc(0);
}

export function requireOperator(req: Request): Extract<Principal, { kind: 'operator' }> {
  const p = principalOf(req);
  if (p?.kind !== 'operator') throw new DomainError(ErrorCode.Unauthenticated, 'operator authentication required');
  return p;
}
