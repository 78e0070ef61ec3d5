import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { readOperatorDays } from '../../db/queries/transitOperatorReport';
import { institutionAuth } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { OperatorParam, OperatorReportView, ReportQuery } from '../schemas/transit';
import { ownOperator } from '../transit/operator';
import { readTransitOperator } from '../../db/repositories/transitOperators';

/** The operator's own figures, per service day, from its riders' day views in PostgreSQL. */
export function transitReportRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
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
        await ownOperator(req, params.operatorId, (id) => readTransitOperator(db, id), 'an operator reads only its own reports');
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
