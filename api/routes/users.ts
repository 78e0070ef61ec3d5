import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { findPartnerUser, type UserRecord } from '../../db/repositories/users';
import { maskIdNumber, maskName, maskPhone } from '../../domain/masking';
import { DomainError, ErrorCode } from '../../domain/errors';
import { checkResidentId } from '../../domain/residentId';
import { partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { idempotency } from '../http/idempotency';
import { addRoute } from '../http/route';
import { RegisterUserRequest, UserView } from '../schemas/users';
import { registerUser } from '../users/registration';

/** Real-name registration: offline ID check and a provider pre-check here, the provider's verdict in a workflow. */
export function userRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
  const view = (u: UserRecord): UserView => ({
    userId: u.id,
    identityStatus: u.identity_status,
    legalName: maskName(pii.decrypt(u.legal_name_enc)),
    idNumber: maskIdNumber(pii.decrypt(u.id_number_enc)),
    phone: maskPhone(pii.decrypt(u.phone_enc)),
  });
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/users',
      summary:
        'Register a real-name user (identity verified asynchronously). The same details again answer the same user (200); ' +
        'details that differ from a registered record, or that the identity provider refuses, answer one identical 422 identity_rejected.',
      tags: ['users'],
      audience: 'partner',
      status: 202,
      body: RegisterUserRequest,
      response: UserView,
      middleware: [partnerAuth(db, { userRequired: false, limits: deps.limits }), idempotency(db, deps.config)],
      handler: async ({ body }, req, res) => {
        const partner = requirePartner(req);
        const id = checkResidentId(body.idNumber, new Date(deps.now?.() ?? Date.now()));
        if (!id.ok) {
          throw new DomainError(ErrorCode.ValidationFailed, `idNumber: ${id.reason}`, {
            fields: [{ field: 'body.idNumber', message: id.reason }],
          });
        }
        const outcome = await registerUser(deps, { partnerId: partner.partnerId, ...body, facts: id });
        if (outcome.kind === 'created') return view(outcome.user);
        // The same person again, same details: their record, as it stands (200, not a new 202).
        res.status(200).json(view(outcome.user));
        return undefined;
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me',
      summary: 'The current user, masked',
      tags: ['users'],
      audience: 'partner',
      response: UserView,
      middleware: [partnerAuth(db, { userRequired: true, limits: deps.limits })],
      handler: async (_in, req) => {
        const { partnerId, userId } = requirePartner(req);
        const user = await findPartnerUser(db, partnerId, userId);
        if (!user) throw new DomainError(ErrorCode.NotFound, 'no such user');
        return view(user);
      },
    });
    return router;
  };
}
