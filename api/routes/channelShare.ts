import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { channelShareReport, storeChannelTotals, type ReportedTotal } from '../../db/queries/channelShare';
import { spendingBandsReport } from '../../db/queries/spendingBands';
import { DomainError, ErrorCode } from '../../domain/errors';
import { institutionAuth } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import {
  AfcDailySummary,
  ChannelShareQuery,
  ChannelShareReportBody,
  ChannelTotalsStored,
  PosDailyTotals,
  SpendingBandsQuery,
} from '../schemas/channelShare';
import { ReportParams, ReportTable } from '../schemas/reports';
import { ownInstitution, pastDaysOnly } from './institutionReports';

const SpendingBandsReportBody = ReportTable.extend({
  year: z.number().int(),
  /** When the year's bands were last recomputed from the ledgers. */
  refreshedAt: z.string(),
}).meta({ id: 'SpendingBandsReport' });

/**
 * Channel share and spending bands (issue 13, items 2 and 3), signed like every institution route:
 * transit operators post their AFC daily summary, merchants their POS totals (stored as sent,
 * idempotent per day, hour and channel), and each institution reads its share and its users' spending
 * bands, released through the same rules and ledger as the other reports.
 */
export function channelShareRoutes(deps: ApiDeps) {
  const { db } = deps;
  const signed = institutionAuth(db, deps.pii, { limiter: deps.limits.institution });
  const k = deps.config.ANALYTICS_MIN_CELL;
  const scope = ownInstitution(deps);

  /** The caller itself, of the kind that sends this summary, for a day that has begun. */
  const sender = async (req: Parameters<typeof scope>[0], id: string, kind: string, day: string) => {
    const own = await scope(req, id).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === ErrorCode.NotFound)
        throw new DomainError(ErrorCode.Forbidden, `only a ${kind} sends this`);
      throw err;
    });
    if (own.kind !== kind) throw new DomainError(ErrorCode.Forbidden, `only a ${kind} sends this`);
    if (day > own.today)
      throw new DomainError(ErrorCode.ValidationFailed, 'a summary of a day to come', {
        fields: [{ field: 'body.day', message: 'must not be after today (the institution’s local day)' }],
      });
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/:institutionId/channel-totals/afc',
      summary: "A transit operator's AFC daily summary: rides per medium, per hour or for the day (a repeat must agree)",
      tags: ['institutions', 'transit'],
      audience: 'institution',
      params: ReportParams,
      body: AfcDailySummary,
      response: ChannelTotalsStored,
      middleware: [signed],
      handler: async ({ params, body }, req) => {
        await sender(req, params.institutionId, 'transit', body.day);
        const rows: ReportedTotal[] = body.rides.map((r, i) => ({
          day: body.day,
          hour: r.hour ?? null,
          channel: r.medium,
          count: r.count,
          field: `body.rides.${i}.count`,
        }));
        return storeChannelTotals(db, { institutionId: params.institutionId, source: 'afc', rows });
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/:institutionId/channel-totals/pos',
      summary: "A merchant's POS totals for a day: transactions per tender type (a repeat must agree)",
      tags: ['institutions', 'retail'],
      audience: 'institution',
      params: ReportParams,
      body: PosDailyTotals,
      response: ChannelTotalsStored,
      middleware: [signed],
      handler: async ({ params, body }, req) => {
        await sender(req, params.institutionId, 'merchant', body.day);
        const rows: ReportedTotal[] = body.tenders.map((t, i) => ({
          day: body.day,
          hour: null,
          channel: t.tender,
          count: t.count,
          field: `body.tenders.${i}.count`,
        }));
        return storeChannelTotals(db, { institutionId: params.institutionId, source: 'pos', rows });
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:institutionId/reports/channel-share',
      summary:
        "Causeway's share of the institution's volume per day and hour, with the day's peak; withheld counts take their totals and shares with them",
      tags: ['institutions'],
      audience: 'institution',
      params: ReportParams,
      query: ChannelShareQuery,
      response: ChannelShareReportBody,
      middleware: [signed],
      handler: async ({ params, query }, req): Promise<z.infer<typeof ChannelShareReportBody>> => {
        const { vertical, today } = await scope(req, params.institutionId);
        pastDaysOnly(query.to, today);
        const r = await channelShareReport(db, { institutionId: params.institutionId, vertical, from: query.from, to: query.to, k });
        return { institutionId: params.institutionId, from: query.from, to: query.to, ...r };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:institutionId/reports/spending-bands',
      summary:
        'Distinct users of the institution in a year by their yearly spending band and gender, with small and complementary cells withheld',
      tags: ['institutions'],
      audience: 'institution',
      params: ReportParams,
      query: SpendingBandsQuery,
      response: SpendingBandsReportBody,
      middleware: [signed],
      handler: async ({ params, query }, req) => {
        const { vertical, today } = await scope(req, params.institutionId);
        if (String(query.year) > today.slice(0, 4))
          throw new DomainError(ErrorCode.ValidationFailed, 'a year to come', {
            fields: [{ field: 'query.year', message: 'must not be after this year' }],
          });
        const r = await spendingBandsReport(db, {
          institutionId: params.institutionId,
          year: query.year,
          k,
          maxAgeMs: deps.config.SPENDING_BANDS_MAX_AGE_MINUTES * 60_000,
          ...(deps.now ? { now: deps.now() } : {}),
        });
        const t = r.release.table;
        return {
          institutionId: params.institutionId,
          vertical,
          from: `${query.year}-01-01`,
          to: `${query.year}-12-31`,
          k: r.k,
          rows: [...r.rows],
          cols: [...r.cols],
          cells: t.cells,
          rowTotals: t.rowTotals,
          colTotals: t.colTotals,
          total: t.total,
          year: query.year,
          refreshedAt: r.refreshedAt.toISOString(),
        };
      },
    });
    return router;
  };
}
