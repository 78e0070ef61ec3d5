import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { operatorAuth } from '../auth/middleware';
import type { dailyReconciliation } from '../../workflows/reconciliation/daily';
import type { ApiDeps } from '../deps';
import { audited } from '../http/operatorAudit';
import { addRoute } from '../http/route';

export const ReconciliationReport = z
  .object({
    date: z.string(),
    ledgerCount: z.number().int(),
    billCount: z.number().int(),
    mismatches: z.array(z.record(z.string(), z.unknown())),
    checkedAt: z.string(),
  })
  .meta({ id: 'ReconciliationReport' });
export type ReconciliationReport = z.infer<typeof ReconciliationReport>;

const DateParam = z.object({ date: z.iso.date() });

/** Operator routes: reconciliation reports and runs. (Inbox routes live with the hospital adapter.) */
export function operatorRoutes(deps: ApiDeps) {
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    const auth = operatorAuth(deps.config.OPERATOR_TOKENS);
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/operator/reconciliation/:date',
      summary: 'The reconciliation report of a billing day',
      tags: ['operator'],
      audience: 'operator',
      params: DateParam,
      response: ReconciliationReport,
      middleware: [auth],
      handler: async ({ params }, req) =>
        audited(deps.db, req, 'reconciliation.read', `bill-date:${params.date}`, () => readReport(params.date)),
    });
    const readReport = async (date: string): Promise<ReconciliationReport> => {
      const rows: Array<{
        bill_date: string;
        ledger_count: number;
        bill_count: number;
        mismatches: Array<Record<string, unknown>>;
        checked_at: Date;
      }> = await deps.db.query(
        `SELECT to_char(bill_date, 'YYYY-MM-DD') AS bill_date, ledger_count, bill_count, mismatches, checked_at FROM reconciliation_reports WHERE bill_date = $1`,
        [date],
      );
      const r = rows[0];
      if (!r) throw new DomainError(ErrorCode.NotFound, `no reconciliation report for ${date}`);
      return {
        date: r.bill_date,
        ledgerCount: r.ledger_count,
        billCount: r.bill_count,
        mismatches: r.mismatches,
        checkedAt: r.checked_at.toISOString(),
      };
    };
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/operator/reconciliation/:date/run',
      summary: 'Reconcile a billing day now',
      tags: ['operator'],
      audience: 'operator',
      params: DateParam,
      response: z.object({ date: z.string(), mismatches: z.number().int() }),
      middleware: [auth],
      handler: async ({ params }, req) =>
        audited(
          deps.db,
          req,
          'reconciliation.run',
          `bill-date:${params.date}`,
          () =>
            deps.temporal.workflow.execute<typeof dailyReconciliation>('dailyReconciliation', {
              taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
              workflowId: `${workflowIds.reconciliation(params.date)}/${Date.now()}`,
              args: [{ version: 1, date: params.date }],
            }),
          (r) => ({ mismatches: r.mismatches }),
        ),
    });
    return router;
  };
}
