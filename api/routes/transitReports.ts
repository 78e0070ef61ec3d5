import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { readOperatorDays } from '../../db/queries/transitOperatorReport';
import { DomainError, ErrorCode } from '../../domain/errors';
import { institutionAuth } from '../auth/middleware';
import { requireInstitution } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { OperatorParam, OperatorReportView, ReportQuery } from '../schemas/transit';
import { requireTransitOperator } from '../transit/operator';

/** The operator's own figures, per service day, from its riders' day views in PostgreSQL. */
export function transitReportRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
  const operatorOf = (operatorId: string) => requireTransitOperator(db, operatorId);
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:operatorId/transit/reports/days',
      summary: 'Per service day: riders, revenue (net of refunds), owed, riders capped and the incomplete-journey rate',
      tags: ['transit'],
      audience: 'institution',
      params: OperatorParam,
      query: ReportQuery,
      response: OperatorReportView,
      middleware: [institutionAuth(db, pii, { limiter: deps.limits.institution })],
      handler: async ({ params, query }, req) => {
        const { institutionId } = requireInstitution(req);
        if (institutionId !== params.operatorId) throw new DomainError(ErrorCode.Forbidden, 'an operator reads only its own reports');
        await operatorOf(params.operatorId);
        const days = await readOperatorDays(db, { operatorId: params.operatorId, from: query.from, to: query.to });
        return {
          operatorId: params.operatorId,
          from: query.from,
          to: query.to,
          days: days.map(({ revenueMinor, owedMinor, waivedMinor, maximumFaresMinor, ...d }) => ({
            ...d,
            revenue: revenueMinor,
            owed: owedMinor,
            waived: waivedMinor,
            maximumFares: maximumFaresMinor,
          })),
        };
      },
    });
    return router;
  };
}
