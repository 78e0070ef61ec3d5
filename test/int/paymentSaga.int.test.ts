import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { workflowIds } from '../../domain/ids';
import { previousDay } from '../../domain/reconciliation';
import { createPaymentActivities } from '../../activities/payment';
import { signNotification } from '../../integrations/payment/simulator/signing';
import type { CollectPaymentInput, PaymentOutcome } from '../../workflows/payment/types';
import { recordHistory } from '../helpers/histories';
import { createTestPaymentInput } from '../helpers/factories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/**
 * The payment saga end to end on the real stack: Temporal dev server, PostgreSQL, the API's
 * notification route over HTTP, and the official alipay-sdk against the payment simulator
 * (request signing, response verification and notification verification all real).
 */
let p: TestPlatform;
let clockOffsetMs = 0;

beforeAll(async () => {
  p = await startTestPlatform({
    payment: { sim: { now: () => new Date(Date.now() + clockOffsetMs), notify: { retryScheduleMs: [200, 400, 800] } } },
  });
});
afterAll(async () => {
  await p?.stop();
});

const input = (amountMinor: number, deadlineInMs: number): CollectPaymentInput =>
  createTestPaymentInput({ amountMinor, deadlineInMs, prefix: 'T' });

async function start(i: CollectPaymentInput) {
  return p.services.temporal.workflow.start('collectPayment', {
    taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.payment(i.outTradeNo),
    args: [i],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

async function waitForOrder(outTradeNo: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows: unknown[] = await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [
      outTradeNo,
    ]);
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${outTradeNo} never created`);
}

async function ledger(outTradeNo: string): Promise<Array<{ kind: string; amount_minor: string }>> {
  return p.services.db.query('SELECT kind, amount_minor FROM ledger_entries WHERE out_trade_no = $1 ORDER BY id', [outTradeNo]);
}

async function storedNotification(outTradeNo: string): Promise<Record<string, string>> {
  const rows: Array<{ body_enc: string }> = await p.services.db.query(
    `SELECT body_enc FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1 ORDER BY id LIMIT 1`,
    [outTradeNo],
  );
  if (!rows[0]) throw new Error('no stored notification');
  const parsed: unknown = JSON.parse(p.services.pii.decrypt(rows[0].body_enc));
  return parsed as Record<string, string>;
}

async function postNotification(params: Record<string, string>): Promise<Response> {
  return fetch(`${p.api.url}/v1/payments/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

describe('payment saga', () => {
  it('is paid through the simulator: verified notification → signal → ledger', async () => {
    const i = input(1250, 60_000);
    const handle = await start(i);
    await waitForOrder(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'paid', outTradeNo: i.outTradeNo, amountMinor: 1250 });
    await recordHistory(handle, 'paid-by-notification');
    expect((await ledger(i.outTradeNo)).map((l) => [l.kind, Number(l.amount_minor)])).toEqual([
      ['created', 0],
      ['paid', 1250],
    ]);
    const [row] = await p.services.db.query('SELECT status FROM payments WHERE out_trade_no = $1', [i.outTradeNo]);
    expect(row.status).toBe('paid');
  });

  it('closes an unpaid order at the deadline', async () => {
    const i = input(800, 2_500);
    const handle = await start(i);
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome).toEqual({ status: 'closed', outTradeNo: i.outTradeNo, reason: 'deadline' });
    await recordHistory(handle, 'closed-at-deadline');
    expect((await ledger(i.outTradeNo)).map((l) => l.kind)).toEqual(['created', 'closed']);
  });

  it('finds a payment whose notification never arrives by querying the platform', async () => {
    p.payment.sim.faults.inject({ kind: 'notifyLate', ms: 120_000, times: 1 });
    const i = input(300, 60_000);
    const handle = await start(i);
    await waitForOrder(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome.status).toBe('paid');
    await recordHistory(handle, 'paid-by-polling');
    p.payment.sim.faults.clear();
  }, 60_000);

  it('a notification delivered 10 times makes one inbox row and one ledger entry; forged and stale ones are refused', async () => {
    const i = input(999, 60_000);
    const handle = await start(i);
    await waitForOrder(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    await handle.result();
    const params = await storedNotification(i.outTradeNo);
    for (let n = 0; n < 10; n++) {
      const res = await postNotification(params);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('success');
    }
    const inbox: unknown[] = await p.services.db.query(
      `SELECT 1 FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = $1`,
      [params.notify_id],
    );
    expect(inbox).toHaveLength(1);
    expect((await ledger(i.outTradeNo)).filter((l) => l.kind === 'paid')).toHaveLength(1);

    const forged = await postNotification({ ...params, notify_id: `forged-${randomUUID()}`, total_amount: '0.01' });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');

    const stale = signNotification(
      { ...params, notify_id: `stale-${randomUUID()}`, notify_time: '2020-01-01 10:00:00' },
      p.payment.keys.platform.privateKeyPem,
    );
    delete (stale as Record<string, string | undefined>).sign_type;
    const staleRes = await postNotification({ ...stale, sign_type: 'RSA2' });
    expect(staleRes.status).toBe(409);
    const rows: unknown[] = await p.services.db.query(
      `SELECT 1 FROM inbox_messages WHERE message_id LIKE 'forged-%' OR message_id LIKE 'stale-%'`,
    );
    expect(rows).toHaveLength(0);
  }, 60_000);

  it('refunds once per refund request number, through the real SDK', async () => {
    const i = input(2000, 60_000);
    const handle = await start(i);
    await waitForOrder(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    await handle.result();
    const acts = createPaymentActivities({ db: p.services.db, payments: p.services.payments, notifyUrl: 'http://unused' });
    const req = { outTradeNo: i.outTradeNo, outRequestNo: `${i.outTradeNo}_R1`, amountMinor: 500, reason: 'cancelled' };
    await acts.refundPayment(req);
    await acts.refundPayment(req); // a retried activity
    const refunds = (await ledger(i.outTradeNo)).filter((l) => l.kind === 'refunded');
    expect(refunds.map((r) => Number(r.amount_minor))).toEqual([-500]);
    const [row] = await p.services.db.query('SELECT status, refunded_minor FROM payments WHERE out_trade_no = $1', [i.outTradeNo]);
    expect(row).toEqual({ status: 'partially_refunded', refunded_minor: '500' });
    const sum: Array<{ s: string }> = await p.services.db.query(
      'SELECT SUM(amount_minor)::text AS s FROM ledger_entries WHERE out_trade_no = $1',
      [i.outTradeNo],
    );
    expect(sum[0]?.s).toBe('1500');
  });

  it('daily reconciliation reports a planted mismatch', async () => {
    const i = input(4321, 60_000);
    const handle = await start(i);
    await waitForOrder(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    await handle.result();
    const today = previousDay(Date.now() + 86_400_000);
    p.payment.sim.bill.plant({ kind: 'amountDiffers', outTradeNo: i.outTradeNo, amountMinor: 4000 });
    p.payment.sim.bill.plant({ kind: 'extra', date: today, outTradeNo: `X_${randomUUID().slice(0, 8)}`, amountMinor: 100 });
    clockOffsetMs = 86_400_000; // the platform publishes a day's bill the next day
    try {
      const result = await p.services.temporal.workflow.execute('dailyReconciliation', {
        taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
        workflowId: `reconciliation/test-${randomUUID()}`,
        args: [{ version: 1, date: today }],
      });
      expect(result).toMatchObject({ date: today });
    } finally {
      clockOffsetMs = 0;
      p.payment.sim.bill.clear();
    }
    const [report] = await p.services.db.query('SELECT mismatches FROM reconciliation_reports WHERE bill_date = $1', [today]);
    const mismatches = report.mismatches as Array<{ kind: string; ledger?: { outTradeNo: string }; line?: { outTradeNo: string } }>;
    expect(mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'amount_differs',
          ledger: expect.objectContaining({ outTradeNo: i.outTradeNo, amountMinor: 4321 }),
        }),
        expect.objectContaining({ kind: 'missing_in_ledger' }),
      ]),
    );
  }, 60_000);
});
