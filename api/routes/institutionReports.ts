import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { z } from 'zod';
import { demographicsReport, funnelReport, OTHER_FUNNELS, type Report, type Vertical } from '../../db/queries/journeyReports';
import { DomainError, ErrorCode } from '../../domain/errors';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import { institutionAuth } from '../auth/middleware';
import { requireInstitution } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { DemographicsQuery, FunnelQuery, ReportParams, ReportTable } from '../schemas/reports';

const VERTICAL_OF_KIND: Record<string, Vertical> = { hospital: 'hospital', transit: 'transit', merchant: 'retail', district: 'retail' };

/**
 * Data for institutions (issue 13): an institution's own reports, signed, from the rollups. Whole past
 * days only (local to the institution), so nothing released can change later; every table goes through
 * the release rules and the institution's release ledger (db/queries/journeyReports.ts).
 */
/**
 * The signed caller's own institution, its vertical and its local today: another institution's id is a
 * 403, one without reports a 404.
 */
export function ownInstitution(deps: Pick<ApiDeps, 'db' | 'now'>) {
  return async (
    req: Parameters<typeof requireInstitution>[0],
    id: string,
  ): Promise<{ vertical: Vertical; kind: string; today: string }> => {
    const { institutionId } = requireInstitution(req);
    if (institutionId !== id) throw new DomainError(ErrorCode.Forbidden, 'an institution reads only its own reports');
    const rows: Array<{ kind: string; time_zone: string }> = await deps.db.query('SELECT kind, time_zone FROM institutions WHERE id = $1', [
      id,
    ]);
    const inst = rows[0];
    const vertical = inst ? VERTICAL_OF_KIND[inst.kind] : undefined;
    if (!inst || !vertical) throw new DomainError(ErrorCode.NotFound, 'no reports for this institution');
    return { vertical, kind: inst.kind, today: serviceDayOf(deps.now?.() ?? Date.now(), inst.time_zone) };
  };
}

/** Reports cover whole past days: `to` before the institution's local today. */
export function pastDaysOnly(to: string, today: string): void {
  if (to >= today)
    throw new DomainError(ErrorCode.ValidationFailed, 'reports cover whole past days', {
      fields: [{ field: 'query.to', message: 'must be before today (the institution’s local day)' }],
    });
}

export function institutionReportRoutes(deps: ApiDeps) {
  const { db } = deps;
  const signed = institutionAuth(db, deps.pii, { limiter: deps.limits.institution });
  const k = deps.config.ANALYTICS_MIN_CELL;
  const scope = ownInstitution(deps);

  const own = async (req: Parameters<typeof requireInstitution>[0], id: string, to: string) => {
    const { vertical, today } = await scope(req, id);
    pastDaysOnly(to, today);
    return vertical;
  };
  const body = (institutionId: string, vertical: string, from: string, to: string, r: Report): z.infer<typeof ReportTable> => ({
    institutionId,
    vertical,
    from,
    to,
    k: r.k,
    rows: [...r.rows],
    cols: [...r.cols],
    cells: r.release.table.cells,
    rowTotals: r.release.table.rowTotals,
    colTotals: r.release.table.colTotals,
    total: r.release.table.total,
  });

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:institutionId/reports/demographics',
      summary: 'Journeys that reached a stage, by age band and gender, with small and complementary cells withheld',
      tags: ['institutions'],
      audience: 'institution',
      params: ReportParams,
      query: DemographicsQuery,
      response: ReportTable,
      middleware: [signed],
      handler: async ({ params, query }, req) => {
        const vertical = await own(req, params.institutionId, query.to);
        const r = await demographicsReport(db, {
          institutionId: params.institutionId,
          vertical,
          stage: query.stage,
          from: query.from,
          to: query.to,
          k,
        });
        return body(params.institutionId, vertical, query.from, query.to, r);
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:institutionId/reports/funnel',
      summary:
        "The funnel: journeys (or, with funnel=coupons or riders, a merchant's coupons or an operator's riders) reaching each stage, per day, with small and complementary cells withheld",
      tags: ['institutions'],
      audience: 'institution',
      params: ReportParams,
      query: FunnelQuery,
      response: ReportTable,
      middleware: [signed],
      handler: async ({ params, query }, req) => {
        const vertical = await own(req, params.institutionId, query.to);
        const other = query.funnel === 'journeys' ? undefined : query.funnel;
        if (other && OTHER_FUNNELS[other].vertical !== vertical)
          throw new DomainError(ErrorCode.ValidationFailed, `no ${other} funnel for this institution`, {
            fields: [{ field: 'query.funnel', message: other === 'coupons' ? 'for merchants and districts' : 'for transit operators' }],
          });
        const r = await funnelReport(db, {
          institutionId: params.institutionId,
          vertical,
          from: query.from,
          to: query.to,
          k,
          ...(other ? { funnel: other } : {}),
        });
        return body(params.institutionId, vertical, query.from, query.to, r);
      },
    });
    return router;
  };
}
