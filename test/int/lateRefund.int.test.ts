import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { workflowIds } from '../../domain/ids';
import type { PaymentOutcome } from '../../workflows/payment/types';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';

/**
 * The late-payment refund on the real stack. The race that produces a late payment (money captured
 * while our side closed the order) is staged by closing the payment row after a real capture; the
 * refund then runs through the real activities, SDK and simulator, as the notification route starts it.
 */
let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

it('records a payment made after its order closed and refunds it in full, once', async () => {
  const outTradeNo = `T_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const collect = await p.services.temporal.workflow.start('collectPayment', {
    taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.payment(outTradeNo),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [
      {
        version: 1,
        outTradeNo,
        journeyId: `test/${outTradeNo}`,
        step: 'registration',
        institutionId: 'test-hospital',
        userRef: 'u_test',
        amountMinor: 1800,
        currency: 'CNY',
        subject: 'Registration fee',
        deadlineMs: Date.now() + 60_000,
      },
    ],
  });
  await until(
    'the order to exist',
    async () =>
      (await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [outTradeNo])).length > 0,
  );
  p.payment.sim.buyer.scan(outTradeNo);
  p.payment.sim.buyer.pay(outTradeNo);
  const paid: PaymentOutcome = await collect.result();
  expect(paid.status).toBe('paid');
  // Our side lost the race: the order is closed here although the platform captured the money.
  await p.services.db.query(`UPDATE payments SET status = 'closed' WHERE out_trade_no = $1`, [outTradeNo]);

  const args = { version: 1, outTradeNo, tradeNo: paid.status === 'paid' ? paid.tradeNo : '', amountMinor: 1800 };
  const refund = await p.services.temporal.workflow.start('latePaymentRefund', {
    taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.latePaymentRefund(outTradeNo),
    args: [args],
  });
  expect(await refund.result()).toEqual({ refundedMinor: 1800 });
  const ledger: Array<{ kind: string; ref: string; amount_minor: string }> = await p.services.db.query(
    `SELECT kind, ref, amount_minor FROM ledger_entries WHERE out_trade_no = $1 AND (ref = 'late' OR kind = 'refunded') ORDER BY id`,
    [outTradeNo],
  );
  expect(ledger.map((l) => [l.kind, l.ref, Number(l.amount_minor)])).toEqual([
    ['paid', 'late', 1800],
    ['refunded', expect.any(String), -1800],
  ]);
  const [row] = await p.services.db.query('SELECT status, refunded_minor FROM payments WHERE out_trade_no = $1', [outTradeNo]);
  expect(row).toEqual({ status: 'refunded', refunded_minor: '1800' });
  await recordHistory(refund, 'refunded-in-full');
});
