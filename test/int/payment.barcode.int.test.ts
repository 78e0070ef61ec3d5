import { ErrorCode } from '../../domain/errors';
import { SIM_AUTH_CODES, type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

/** Face-to-face: the till scans the buyer's payment code (alipay.trade.pay, scene bar_code). */
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const ref = (): string => tradeRef('B');

const pay = (outTradeNo: string, authCode: string, notifyUrl?: string) =>
  h.provider.payByBarcode({
    outTradeNo,
    amountMinor: 2_380,
    currency: 'CNY',
    subject: 'Coffee',
    authCode,
    ...(notifyUrl ? { notifyUrl } : {}),
  });

it('pays at once with a good payment code and notifies', async () => {
  const outTradeNo = ref();
  const result = await pay(outTradeNo, SIM_AUTH_CODES.success, receiver.url);
  expect(result).toMatchObject({ outTradeNo, status: 'TRADE_SUCCESS', amountMinor: 2_380, currency: 'CNY' });
  expect(result.tradeNo).toMatch(/^\d{28}$/);
  expect(Date.parse(result.paidAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS', tradeNo: result.tradeNo });
  const note = await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo);
  expect(h.provider.verifyNotification(note.params)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', totalAmountMinor: 2_380 });

  // The till retrying with the same order number, code and amount is answered, not charged again.
  const retried = await pay(outTradeNo, SIM_AUTH_CODES.success);
  expect(retried).toMatchObject({ status: 'TRADE_SUCCESS', tradeNo: result.tradeNo });
  expect(h.sim.trades.all().filter((t) => t.outTradeNo === outTradeNo)).toHaveLength(1);
  // Other parameters under the same order number are an error.
  const other = await rejection(
    h.provider.payByBarcode({ outTradeNo, amountMinor: 9_999, currency: 'CNY', subject: 'Coffee', authCode: SIM_AUTH_CODES.success }),
  );
  expect(other.code).toBe(ErrorCode.InvalidState);
  expect(other.details).toMatchObject({ subCode: 'ACQ.TRADE_HAS_SUCCESS' });
});

describe('alipay.trade.cancel', () => {
  it('closes a trade still waiting for the buyer, so a late confirmation cannot pay it', async () => {
    const outTradeNo = ref();
    expect(await pay(outTradeNo, SIM_AUTH_CODES.waitForBuyer)).toMatchObject({ status: 'WAIT_BUYER_PAY' });
    expect(await h.provider.cancel(outTradeNo)).toEqual({ outTradeNo, action: 'close', retry: false });
    expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_CLOSED' });
    const late = await fetch(`${h.sim.url}/sim/trades/${outTradeNo}/pay`, { method: 'POST' });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(await h.provider.cancel(outTradeNo)).toEqual({ outTradeNo, action: 'close', retry: false }); // repeated: same answer
  });

  it('refunds in full a payment that landed as the till cancelled it', async () => {
    const outTradeNo = ref();
    await pay(outTradeNo, SIM_AUTH_CODES.waitForBuyer, receiver.url);
    h.sim.faults.inject({ kind: 'payBeforeCancel', times: 1 });
    expect(await h.provider.cancel(outTradeNo)).toEqual({ outTradeNo, action: 'refund', retry: false });
    const trade = h.sim.trades.get(outTradeNo);
    expect(trade).toMatchObject({ state: 'TRADE_CLOSED', totalMinor: 2_380 });
    expect(trade?.refunds.reduce((s, r) => s + r.amountMinor, 0)).toBe(2_380);
    const refundNote = await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo && n.params.refund_fee !== undefined);
    expect(refundNote.params.refund_fee).toBe('23.80');
  });

  it('cancels an order number the platform never saw, so a payment arriving after it is refused', async () => {
    const outTradeNo = ref();
    expect(await h.provider.cancel(outTradeNo)).toEqual({ outTradeNo, action: 'close', retry: false });
    const late = await rejection(pay(outTradeNo, SIM_AUTH_CODES.success));
    expect(late.details).toMatchObject({ subCode: 'ACQ.TRADE_HAS_CLOSE' });
  });
});

it('returns WAIT_BUYER_PAY (code 10003) when the buyer must confirm, then settles on query', async () => {
  const outTradeNo = ref();
  const pending = await pay(outTradeNo, SIM_AUTH_CODES.waitForBuyer);
  expect(pending).toMatchObject({ status: 'WAIT_BUYER_PAY', outTradeNo });
  expect(pending.paidAt).toBeUndefined();
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'WAIT_BUYER_PAY' });
  const res = await fetch(`${h.sim.url}/sim/trades/${outTradeNo}/pay`, { method: 'POST' });
  expect(res.status).toBe(200);
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS' });
});

it('maps refusals to non-retryable PaymentDeclined', async () => {
  const broke = await rejection(pay(ref(), SIM_AUTH_CODES.insufficientFunds));
  expect(broke.code).toBe(ErrorCode.PaymentDeclined);
  expect(broke.retryable).toBe(false);
  expect(broke.details).toMatchObject({ subCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
  // 16-24 digits passes our own check but not the platform's 25-30 prefix rule.
  const bogus = await rejection(pay(ref(), '1234567890123456'));
  expect(bogus.code).toBe(ErrorCode.PaymentDeclined);
  expect(bogus.details).toMatchObject({ subCode: 'ACQ.PAYMENT_AUTH_CODE_INVALID' });
});

it('validates the payment code shape before calling the platform', async () => {
  const calls = h.sim.trades.all().length;
  const err = await rejection(pay(ref(), 'abc'));
  expect(err.code).toBe(ErrorCode.ValidationFailed);
  expect(err.details.fields?.[0]?.field).toBe('authCode');
  expect(h.sim.trades.all().length).toBe(calls);
});
