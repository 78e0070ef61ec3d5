import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { readRiderDebt } from '../../db/queries/riderDebt';
import { issuerKeySetSource } from '../../db/repositories/transitIssuerKeys';
import { denyListChangesSince } from '../../db/repositories/transitSettlement';
import { DomainError, ErrorCode } from '../../domain/errors';
import { netDenyListChanges, signDenyListDelta } from '../../domain/transit/rideCode';
import { payRiderDebtSignal } from '../../workflows/transit/riderDay/definitions';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { ownOperator } from '../transit/operator';
import { readTransitOperator } from '../../db/repositories/transitOperators';
import { DebtView, DenyListDeltaView, DenyListQuery, OperatorParam, PayDebtAccepted, PayDebtRequest } from '../schemas/transit';

/**
 * Money owed to a transit operator: the signed deny-list deltas its gates fetch, and the rider's
 * debt (read from PostgreSQL) with pay-debt, which asks each owed day's workflow for a QR order.
 */
export function transitDebtRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
  const operatorOf = (operatorId: string) => readTransitOperator(db, operatorId);
  const debtOf = async (operatorId: string, userId: string) => {
    await operatorOf(operatorId);
    const debt = await readRiderDebt(db, { operatorId, userId });
    if (!debt) throw new DomainError(ErrorCode.NotFound, `not enrolled with ${operatorId}`);
    return debt;
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:operatorId/transit/deny-list',
      summary: "Changes to the operator's deny list after the version a gate holds, signed by its root key",
      tags: ['transit'],
      audience: 'institution',
      params: OperatorParam,
      query: DenyListQuery,
      response: DenyListDeltaView,
      middleware: [institutionAuth(db, pii, { limiter: deps.limits.institution })],
      handler: async ({ params, query }, req) => {
        await ownOperator(req, params.operatorId, operatorOf, 'an operator reads only its own deny list');
        const { version, changes } = await denyListChangesSince(db, params.operatorId, query.since);
        if (query.since > version) {
          throw new DomainError(ErrorCode.ValidationFailed, `since ${query.since} is ahead of the list (version ${version}); ask from 0`, {
            fields: [{ field: 'query.since', message: `at most ${version}` }],
          });
        }
        if (version === query.since) return { operatorId: params.operatorId, fromVersion: query.since, version, delta: null };
        const keys = await issuerKeySetSource(db, pii, params.operatorId, new Date());
        if (!keys) throw new DomainError(ErrorCode.NotFound, `operator ${params.operatorId} has no keys`);
        const delta = signDenyListDelta(
          { operatorId: params.operatorId, fromVersion: query.since, version, ...netDenyListChanges(changes) },
          keys.root.privateKey,
        );
        return { operatorId: params.operatorId, fromVersion: query.since, version, delta };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/transit/:operatorId/debt',
      summary: "What the rider owes the operator: each refused day's exact amount and reason, and its QR order once asked for",
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      response: DebtView,
      middleware: [partnerAuth(db, { userRequired: true, limits: deps.limits })],
      handler: async ({ params }, req) => {
        const debt = await debtOf(params.operatorId, requirePartner(req).userId);
        return {
          operatorId: params.operatorId,
          inDebt: debt.inDebt,
          totalOwed: debt.days.reduce((sum, d) => sum + d.owedMinor, 0),
          days: debt.days.map((d) => ({
            serviceDay: d.serviceDay,
            stage: d.stage,
            owed: d.owedMinor,
            currency: d.currency,
            reason: d.refusal,
            attempts: d.attempts,
            nextAttemptAt: d.nextAttemptAt,
            payment: d.payment
              ? { outTradeNo: d.payment.outTradeNo, amount: d.payment.amountMinor, status: d.payment.status, qrCode: d.payment.qrCode }
              : null,
          })),
        };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/transit/:operatorId/debt/payment',
      summary: 'Pay what is owed now: each owed day makes a QR order for its exact amount (read it with GET …/debt)',
      tags: ['transit'],
      audience: 'partner',
      status: 202,
      params: OperatorParam,
      body: PayDebtRequest,
      response: PayDebtAccepted,
      middleware: [partnerAuth(db, { userRequired: true, limits: deps.limits })],
      handler: async ({ params, body }, req) => {
        const debt = await debtOf(params.operatorId, requirePartner(req).userId);
        const days = debt.days.filter((d) => body.serviceDay === undefined || d.serviceDay === body.serviceDay);
        if (days.length === 0) {
          throw new DomainError(ErrorCode.NotFound, body.serviceDay ? `nothing is owed for ${body.serviceDay}` : 'nothing is owed', {
            ...(body.serviceDay ? { fields: [{ field: 'body.serviceDay', message: 'no amount owed for this day' }] } : {}),
          });
        }
        const requested: string[] = [];
        for (const d of days) {
          try {
            await deps.temporal.workflow.getHandle(d.workflowId).signal(payRiderDebtSignal, { version: 1 });
            requested.push(d.serviceDay);
          } catch (err) {
            // The day settled since the read (a retry succeeded): nothing to pay for it.
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
        }
        return { requested };
      },
    });
    return router;
  };
}
