import { randomUUID } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { Router } from 'express';
import { maskIdNumber, maskName, maskPhone } from '../../domain/masking';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { checkResidentId } from '../../domain/residentId';
import { partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { idempotency } from '../http/idempotency';
import { addRoute } from '../http/route';
import { RegisterUserRequest, UserView } from '../schemas/users';

interface UserRecord {
  id: string;
  identity_status: 'pending' | 'verified' | 'rejected' | 'unverified';
  legal_name_enc: string;
  id_number_enc: string;
  phone_enc: string;
  partner_id: string;
}

/** Real-name registration: offline ID check here, the identity provider in a workflow. */
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
      summary: 'Register a real-name user (identity verified asynchronously)',
      tags: ['users'],
      audience: 'partner',
      status: 202,
      body: RegisterUserRequest,
      response: UserView,
      middleware: [partnerAuth(db, { userRequired: false }), idempotency(db)],
      handler: async ({ body }, req, res) => {
        const partner = requirePartner(req);
        const today = new Date(deps.now?.() ?? Date.now());
        const id = checkResidentId(body.idNumber, today);
        if (!id.ok) {
          throw new DomainError(ErrorCode.ValidationFailed, `idNumber: ${id.reason}`, {
            fields: [{ field: 'body.idNumber', message: id.reason }],
          });
        }
        const idHash = pii.lookupHash('id_number', body.idNumber);
        const existing: UserRecord[] = await db.query('SELECT * FROM users WHERE id_number_hash = $1', [idHash]);
        if (existing[0]) {
          // One person, one record: the same partner gets its user back; another partner may not probe.
          if (existing[0].partner_id !== partner.partnerId)
            throw new DomainError(ErrorCode.Conflict, 'this person is registered through another partner app');
          res.status(200);
          return view(existing[0]);
        }
        const userId = randomUUID();
        await db.query(
          `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status, birth_year, sex, province_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11)`,
          [
            userId,
            partner.partnerId,
            idHash,
            pii.encrypt(body.idNumber.toUpperCase()),
            pii.encrypt(body.legalName),
            pii.encrypt(body.phone),
            pii.lookupHash('phone', body.phone),
            pii.lookupHash('user_ref', userId).slice(0, 32),
            Number(id.birthDate.slice(0, 4)),
            id.sex,
            id.provinceCode,
          ],
        );
        await deps.temporal.workflow.start('verifyIdentity', {
          taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
          workflowId: workflowIds.identity(userId),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          args: [{ version: 1, userId, windowMs: deps.config.IDENTITY_VERIFY_WINDOW_MS }],
        });
        const rows: UserRecord[] = await db.query('SELECT * FROM users WHERE id = $1', [userId]);
        return view(rows[0] as UserRecord);
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me',
      summary: 'The current user, masked',
      tags: ['users'],
      audience: 'partner',
      response: UserView,
      middleware: [partnerAuth(db, { userRequired: true })],
      handler: async (_in, req) => {
        const { userId } = requirePartner(req);
        const rows: UserRecord[] = await db.query('SELECT * FROM users WHERE id = $1', [userId]);
        if (!rows[0]) throw new DomainError(ErrorCode.NotFound, 'no such user');
        return view(rows[0]);
      },
    });
    return router;
  };
}
