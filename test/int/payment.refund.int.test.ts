import { ErrorCode } from '../../domain/errors';
import { type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const ref = tradeRef;

async function paidTrade(amountMinor: number): Promise<string> {
  const outTradeNo = ref('T');
  await h.provider.createQrOrder({ outTradeNo, amountMinor, currency: 'CNY', subject: 'x', timeoutMinutes: 5, notifyUrl: receiver.url });
  h.sim.buyer.pay(outTradeNo);
  return outTradeNo;
}

it('refunds once per outRequestNo, however often it is sent', async () => {
  const outTradeNo = await paidTrade(10_000);
  const outRequestNo = ref('R');
  const first = await h.provider.refund({ outTradeNo, outRequestNo, refundMinor: 2_500, currency: 'CNY', reason: 'cancelled' });
  const again = await h.provider.refund({ outTradeNo, outRequestNo, refundMinor: 2_500, currency: 'CNY', reason: 'cancelled' });
  expect(first).toMatchObject({ outTradeNo, outRequestNo, totalRefundedMinor: 2_500, fundChanged: true });
  expect(again).toMatchObject({ outTradeNo, outRequestNo, totalRefundedMinor: 2_500, fundChanged: false });
  expect(again.refundedAt).toBe(first.refundedAt);
  expect(h.sim.trades.get(outTradeNo)?.refunds).toHaveLength(1);

  expect(await h.provider.queryRefund({ outTradeNo, outRequestNo })).toMatchObject({
    status: 'SUCCESS',
    refundMinor: 2_500,
    tradeAmountMinor: 10_000,
    tradeNo: first.tradeNo,
    refundedAt: first.refundedAt,
  });
  // A partial refund leaves the trade successful.
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS' });
});

it('accumulates partial refunds, refuses to exceed the paid amount, and closes when fully refunded', async () => {
  const outTradeNo = await paidTrade(1_000);
  const r1 = ref('R');
  const r2 = ref('R');
  await h.provider.refund({ outTradeNo, outRequestNo: r1, refundMinor: 400, currency: 'CNY' });
  const tooMuch = await rejection(h.provider.refund({ outTradeNo, outRequestNo: ref('R'), refundMinor: 601, currency: 'CNY' }));
  expect(tooMuch.code).toBe(ErrorCode.InvalidState);
  expect(tooMuch.details).toMatchObject({ subCode: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
  const last = await h.provider.refund({ outTradeNo, outRequestNo: r2, refundMinor: 600, currency: 'CNY' });
  expect(last).toMatchObject({ totalRefundedMinor: 1_000, fundChanged: true });
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_CLOSED' });

  // Refund notifications carry the request number and the cumulative refund.
  const n1 = await receiver.waitFor((n) => n.params.out_biz_no === r1);
  const n2 = await receiver.waitFor((n) => n.params.out_biz_no === r2);
  expect(h.provider.verifyNotification(n1.params)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', refundFeeMinor: 400, outBizNo: r1 });
  const closing = h.provider.verifyNotification(n2.params);
  expect(closing).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundFeeMinor: 1_000, outBizNo: r2 });
  expect(closing.refundedAt).toMatch(/\.\d{3}Z$/);
});

it('reports an unknown refund request as NOT_FOUND (retry with the same number)', async () => {
  const outTradeNo = await paidTrade(300);
  const outRequestNo = ref('R');
  expect(await h.provider.queryRefund({ outTradeNo, outRequestNo })).toEqual({ status: 'NOT_FOUND', outTradeNo, outRequestNo });
  expect(await h.provider.queryRefund({ outTradeNo: ref('T'), outRequestNo })).toMatchObject({ status: 'NOT_FOUND' });
});

it('refuses to refund an unpaid or unknown trade', async () => {
  const unpaid = ref('T');
  await h.provider.createQrOrder({
    outTradeNo: unpaid,
    amountMinor: 300,
    currency: 'CNY',
    subject: 'x',
    timeoutMinutes: 5,
    notifyUrl: receiver.url,
  });
  h.sim.buyer.scan(unpaid);
  const wrongState = await rejection(h.provider.refund({ outTradeNo: unpaid, outRequestNo: ref('R'), refundMinor: 100, currency: 'CNY' }));
  expect(wrongState.code).toBe(ErrorCode.InvalidState);
  const missing = await rejection(h.provider.refund({ outTradeNo: ref('T'), outRequestNo: ref('R'), refundMinor: 100, currency: 'CNY' }));
  expect(missing.code).toBe(ErrorCode.NotFound);
  expect(missing.retryable).toBe(false);
});
