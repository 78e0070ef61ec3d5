import { workflowIds } from '../../domain/ids';
import { cancelPaymentSignal } from '../../workflows/payment/definitions';
import type { CollectPaymentInput, PaymentOutcome } from '../../workflows/payment/types';
import { createTestPaymentInput } from '../helpers/factories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';

/**
 * The payment saga's edges (issue 9 items 2 and 3) on the real stack — Temporal, PostgreSQL, the
 * API's notification route and the official SDK against the payment simulator:
 *  - the buyer pays in the instant before the close (the platform refuses the close with
 *    ACQ.TRADE_STATUS_ERROR): the payment is paid, not failed;
 *  - a cancelled payment (its journey ended) closes its order; money that made it first is
 *    refunded, money after the close is refunded by the late-payment path.
 */
let p: TestPlatform;

beforeAll(async () => {
  // The platform's clock runs 30 s behind ours, so its own expiry of an order comes after our close at the
  // deadline (as clock skew and its one-second time_expire do in production): the close is what races the buyer.
  p = await startTestPlatform({
    payment: { sim: { now: () => new Date(Date.now() - 30_000), notify: { retryScheduleMs: [200, 400, 800] } } },
  });
});
afterAll(async () => {
  await p?.stop();
});

const input = (amountMinor: number, deadlineInMs: number): CollectPaymentInput =>
  createTestPaymentInput({ amountMinor, deadlineInMs, prefix: 'C' });

async function start(i: CollectPaymentInput) {
  return p.services.temporal.workflow.start('collectPayment', {
    taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.payment(i.outTradeNo),
    args: [i],
  });
}

const orderCreated = (outTradeNo: string): Promise<true> =>
  until(
    `order ${outTradeNo} created`,
    async () => {
      const rows: unknown[] = await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [
        outTradeNo,
      ]);
      return rows.length > 0 ? true : undefined;
    },
    { timeoutMs: 20_000 },
  );

async function row(outTradeNo: string): Promise<{ status: string; refunded_minor: string }> {
  const rows: Array<{ status: string; refunded_minor: string }> = await p.services.db.query(
    'SELECT status, refunded_minor FROM payments WHERE out_trade_no = $1',
    [outTradeNo],
  );
  if (!rows[0]) throw new Error(`no payment ${outTradeNo}`);
  return rows[0];
}

describe('payment close race (item 2)', () => {
  it('returns paid when the buyer pays right before the close and the platform refuses it with TRADE_STATUS_ERROR', async () => {
    p.payment.sim.faults.inject({ kind: 'payBeforeClose', times: 1 });
    const i = input(1_700, 6_000);
    const handle = await start(i);
    await orderCreated(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo); // a trade exists, waiting for the buyer
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'paid', outTradeNo: i.outTradeNo, amountMinor: 1_700 });
    expect(await row(i.outTradeNo)).toEqual({ status: 'paid', refunded_minor: '0' });
    expect(p.payment.sim.trades.get(i.outTradeNo)?.state).toBe('TRADE_SUCCESS');
    // The notification of that payment arrives after the workflow finished: the payment is paid, nothing is refunded.
    await until('the notification applied', async () => {
      const rows: Array<{ status: string }> = await p.services.db.query(
        `SELECT status FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
        [i.outTradeNo],
      );
      return rows[0]?.status === 'applied' ? true : undefined;
    });
    expect(p.payment.sim.trades.refunded(p.payment.sim.trades.get(i.outTradeNo) ?? never())).toBe(0);
    expect(await row(i.outTradeNo)).toEqual({ status: 'paid', refunded_minor: '0' });
  });

  it('a journey cancelling its payment while the buyer pays gets paid back from the workflow, not an error', async () => {
    const i = input(900, 60_000);
    const handle = await start(i);
    await orderCreated(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.faults.inject({ kind: 'payBeforeClose', times: 1 });
    await handle.signal(cancelPaymentSignal);
    const outcome: PaymentOutcome = await handle.result();
    // Paid first: the journey decides (it keeps or refunds the booking); the payment itself is not lost.
    expect(outcome).toMatchObject({ status: 'paid', amountMinor: 900 });
    expect((await row(i.outTradeNo)).status).toBe('paid');
  });
});

describe('payment cancelled with its journey (item 3)', () => {
  it('closes the order when the workflow is cancelled, so its QR code can no longer be paid', async () => {
    const i = input(1_100, 10 * 60_000);
    const handle = await start(i);
    await orderCreated(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    await handle.cancel();
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome).toEqual({ status: 'closed', outTradeNo: i.outTradeNo, reason: 'cancelled' });
    expect(p.payment.sim.trades.get(i.outTradeNo)?.state).toBe('TRADE_CLOSED');
    expect((await row(i.outTradeNo)).status).toBe('closed');
    expect(() => p.payment.sim.buyer.pay(i.outTradeNo)).toThrow(/TRADE_CLOSED/);
  });

  it('refunds money that made it before the close of a cancelled payment', async () => {
    const i = input(1_300, 10 * 60_000);
    const handle = await start(i);
    await orderCreated(i.outTradeNo);
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.faults.inject({ kind: 'payBeforeClose', times: 1 });
    await handle.cancel();
    const outcome: PaymentOutcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'closed', reason: 'cancelled' });
    expect(await row(i.outTradeNo)).toEqual({ status: 'refunded', refunded_minor: '1300' });
    const trade = p.payment.sim.trades.get(i.outTradeNo) ?? never();
    expect(p.payment.sim.trades.refunded(trade)).toBe(1_300);
  });

  it('refunds money paid on a never-scanned QR code after its cancelled payment closed (the late-payment refund)', async () => {
    const i = input(1_500, 10 * 60_000);
    const handle = await start(i);
    await orderCreated(i.outTradeNo);
    await handle.cancel();
    expect(await handle.result()).toMatchObject({ status: 'closed', reason: 'cancelled' });
    // A precreated code nobody scanned has no trade to close; the buyer can still pay it until it expires.
    p.payment.sim.buyer.scan(i.outTradeNo);
    p.payment.sim.buyer.pay(i.outTradeNo);
    await until('the late payment refunded', async () => ((await row(i.outTradeNo)).status === 'refunded' ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect(p.payment.sim.trades.refunded(p.payment.sim.trades.get(i.outTradeNo) ?? never())).toBe(1_500);
  });
});

function never(): never {
  throw new Error('missing');
}
