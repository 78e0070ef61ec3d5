import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { paymentNotifiedSignal } from '../../workflows/payment/definitions';
import type { latePaymentRefund } from '../../workflows/payment/lateRefund';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';

/** The platform posts a form of string fields; everything else is checked after the signature. */
export const PaymentNotificationForm = z.record(z.string(), z.string()).meta({ id: 'PaymentNotificationForm' });

const MAX_NOTIFICATION_AGE_MS = 3 * 24 * 3600_000;

/**
 * The payment platform's asynchronous notifications. Verified (signature, app id, amount), stored in
 * the inbox (deduplicated on notify_id) BEFORE answering `success`, then signalled to the payment
 * workflow. Ten deliveries of one notification make one inbox row and change nothing after the first.
 */
export function paymentRoutes(deps: ApiDeps) {
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    const now = deps.now ?? Date.now;
    /** Paid after the order was closed: nothing will deliver the service, so the money goes back. */
    const refundIfLate = async (n: {
      outTradeNo: string;
      tradeNo?: string | undefined;
      tradeStatus: string;
      totalAmountMinor: number;
    }): Promise<void> => {
      if (n.tradeStatus !== 'TRADE_SUCCESS' && n.tradeStatus !== 'TRADE_FINISHED') return;
      const rows: Array<{ status: string }> = await deps.db.query('SELECT status FROM payments WHERE out_trade_no = $1', [n.outTradeNo]);
      if (rows[0]?.status !== 'closed') return;
      deps.logger.warn({ outTradeNo: n.outTradeNo }, 'payment made after its order was closed; refunding it');
      try {
        await deps.temporal.workflow.start<typeof latePaymentRefund>('latePaymentRefund', {
          taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
          workflowId: workflowIds.latePaymentRefund(n.outTradeNo),
          args: [{ version: 1, outTradeNo: n.outTradeNo, tradeNo: n.tradeNo ?? '', amountMinor: n.totalAmountMinor }],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    };
    const pendingNotification = async (appId: string, notifyId: string): Promise<string | undefined> => {
      const rows: Array<{ id: string }> = await deps.db.query(
        `SELECT id FROM inbox_messages WHERE channel = 'payment_notification' AND sender = $1 AND message_id = $2 AND status = 'received'`,
        [appId, notifyId],
      );
      return rows[0]?.id;
    };
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/payments/notifications',
      summary: 'Asynchronous payment notification (signed by the payment platform)',
      tags: ['payments'],
      audience: 'public',
      consumes: 'application/x-www-form-urlencoded',
      produces: 'text/plain',
      body: PaymentNotificationForm,
      response: z.literal('success'),
      handler: async ({ body }, _req, res) => {
        const n = deps.payments.verifyNotification(body);
        if (n.appId !== deps.config.PAYMENT_APP_ID) throw new DomainError(ErrorCode.InvalidSignature, 'notification for another app');
        if (now() - Date.parse(n.notifyTime) > MAX_NOTIFICATION_AGE_MS)
          throw new DomainError(ErrorCode.ReplayedRequest, 'notification too old');
        // Our orders: the payment saga's, and transit day charges by withholding agreement (recorded by
        // the settlement step when the platform answered; the notification only confirms them).
        const rows: Array<{ amount_minor: string }> = await deps.db.query(
          `SELECT amount_minor FROM payments WHERE out_trade_no = $1
           UNION ALL
           SELECT amount_minor FROM transit_day_trades WHERE out_trade_no = $1 AND purpose = 'agreement_charge'`,
          [n.outTradeNo],
        );
        const order = rows[0];
        // Signed by the platform but not a trade status for OUR seller account: kept, never applied.
        const problem =
          n.notifyType !== 'trade_status_sync'
            ? 'notify_type is not trade_status_sync'
            : n.sellerId !== deps.config.PAYMENT_SELLER_ID
              ? 'seller_id is not this merchant'
              : !order
                ? 'unknown order'
                : Number(order.amount_minor) !== n.totalAmountMinor
                  ? 'amount differs from the order'
                  : null;
        const stored: Array<{ id: string }> = await deps.db.query(
          `INSERT INTO inbox_messages (channel, sender, message_id, message_type, correlation, body_enc, status, error)
           VALUES ('payment_notification', $1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (channel, sender, message_id) DO NOTHING RETURNING id`,
          [
            n.appId,
            n.notifyId,
            n.tradeStatus,
            n.outTradeNo,
            deps.pii.encrypt(JSON.stringify(body)),
            problem ? 'failed' : 'received',
            problem,
          ],
        );
        // A redelivery of a row left `received` (we failed between storing and marking it) applies it again.
        const id = stored[0]?.id ?? (await pendingNotification(n.appId, n.notifyId));
        if (problem) {
          // Stored for an operator; answering success stops the platform's retries, which cannot fix it.
          deps.logger.warn({ outTradeNo: n.outTradeNo, notifyId: n.notifyId }, `payment notification kept for review: ${problem}`);
        } else if (id) {
          // A running payment workflow that took the signal owns the outcome (paid even after its close
          // began); only money for a finished one is late and goes back.
          let workflowTookIt = false;
          try {
            await deps.temporal.workflow.getHandle(workflowIds.payment(n.outTradeNo)).signal(paymentNotifiedSignal, {
              version: 1,
              tradeStatus: n.tradeStatus,
              tradeNo: n.tradeNo,
              amountMinor: n.totalAmountMinor,
            });
            workflowTookIt = true;
          } catch (err) {
            // A finished payment workflow already knows its outcome; anything else: the workflow polls.
            if (!(err instanceof WorkflowNotFoundError))
              deps.logger.warn({ err, outTradeNo: n.outTradeNo }, 'signal to payment workflow failed; it will poll');
          }
          if (!workflowTookIt) await refundIfLate(n);
          await deps.db.query(`UPDATE inbox_messages SET status = 'applied', applied_at = now() WHERE id = $1`, [id]);
        }
        res.status(200).type('text/plain').send('success');
        return undefined;
      },
    });
    return router;
  };
}
