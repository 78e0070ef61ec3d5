import { ErrorCode } from '../../domain/errors';
import { startNotificationReceiver, type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

/** Real alipay-sdk ↔ simulator over loopback HTTP: QR (precreate) orders end to end. */
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [30, 60, 90] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const ref = (): string => tradeRef('T');

async function buyer(action: 'scan' | 'pay', outTradeNo: string): Promise<Response> {
  return fetch(`${h.sim.url}/sim/trades/${outTradeNo}/${action}`, { method: 'POST' });
}

it('creates a QR order, the buyer pays, a signed notification arrives and verifies', async () => {
  const outTradeNo = ref();
  const order = await h.provider.createQrOrder({
    outTradeNo,
    amountMinor: 1234,
    currency: 'CNY',
    subject: 'Registration fee',
    timeoutMinutes: 15,
    notifyUrl: receiver.url,
  });
  expect(order.outTradeNo).toBe(outTradeNo);
  expect(order.qrCode).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sim\/qr\/[0-9a-f]+$/);
  const qr = await fetch(order.qrCode);
  expect(await qr.json()).toMatchObject({ outTradeNo, amountMinor: 1234, state: 'PRECREATED' });

  // Like the real platform, a QR order is not a trade until it is scanned.
  expect(await h.provider.query(outTradeNo)).toEqual({ status: 'NOT_FOUND', outTradeNo });
  expect((await buyer('scan', outTradeNo)).status).toBe(200);
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'WAIT_BUYER_PAY', amountMinor: 1234 });

  const paid = await buyer('pay', outTradeNo);
  expect(paid.status).toBe(200);
  const arrival = await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo);
  expect(arrival.params.sign_type).toBe('RSA2');
  expect(arrival.params.sign).toBeTruthy();

  const note = h.provider.verifyNotification(arrival.params);
  const query = await h.provider.query(outTradeNo);
  expect(query).toMatchObject({ status: 'TRADE_SUCCESS', outTradeNo, amountMinor: 1234, currency: 'CNY' });
  if (query.status === 'NOT_FOUND') throw new Error('unreachable');
  expect(note).toMatchObject({
    outTradeNo,
    tradeNo: query.tradeNo,
    tradeStatus: 'TRADE_SUCCESS',
    totalAmountMinor: 1234,
    currency: 'CNY',
    notifyType: 'trade_status_sync',
    appId: h.sim.appId,
  });
  expect(note.paidAt).toBe(query.paidAt);
  expect(Date.parse(note.paidAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
});

it('retries a notification until the answer is exactly "success"', async () => {
  let calls = 0;
  // 'SUCCESS' and 'success\n' are not acknowledgements; the platform insists on the exact word.
  const picky = await startNotificationReceiver(() => {
    calls += 1;
    return { status: 200, body: calls === 1 ? 'SUCCESS' : calls === 2 ? 'success\n' : 'success' };
  });
  try {
    const outTradeNo = ref();
    await h.provider.createQrOrder({
      outTradeNo,
      amountMinor: 500,
      currency: 'CNY',
      subject: 'x',
      timeoutMinutes: 5,
      notifyUrl: picky.url,
    });
    h.sim.buyer.pay(outTradeNo);
    await picky.waitFor((n) => n.seq === 3);
    await h.sim.notifications.idle();
    const attempts = h.sim.notifications.attempts.filter((a) => a.outTradeNo === outTradeNo);
    expect(attempts.map((a) => a.acknowledged)).toEqual([false, false, true]);
    expect(new Set(picky.received.map((n) => n.params.notify_id)).size).toBe(1);
  } finally {
    await picky.stop();
  }
});

it('gives up after the last scheduled retry', async () => {
  const grumpy = await startNotificationReceiver(() => ({ status: 500, body: 'fail' }));
  try {
    const outTradeNo = ref();
    await h.provider.createQrOrder({
      outTradeNo,
      amountMinor: 500,
      currency: 'CNY',
      subject: 'x',
      timeoutMinutes: 5,
      notifyUrl: grumpy.url,
    });
    h.sim.buyer.pay(outTradeNo);
    await grumpy.waitFor((n) => n.seq === 4);
    await h.sim.notifications.idle();
    expect(grumpy.received).toHaveLength(4); // first attempt + three retries
  } finally {
    await grumpy.stop();
  }
});

it('closes a scanned, unpaid trade and reports it closed', async () => {
  const outTradeNo = ref();
  await h.provider.createQrOrder({
    outTradeNo,
    amountMinor: 800,
    currency: 'CNY',
    subject: 'x',
    timeoutMinutes: 5,
    notifyUrl: receiver.url,
  });
  expect(await h.provider.close(outTradeNo)).toEqual({ outTradeNo, status: 'NOT_FOUND' });
  h.sim.buyer.scan(outTradeNo);
  const closed = await h.provider.close(outTradeNo);
  expect(closed).toMatchObject({ outTradeNo, status: 'CLOSED' });
  expect(closed.tradeNo).toMatch(/^\d{28}$/);
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_CLOSED' });
  const note = await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo);
  expect(h.provider.verifyNotification(note.params)).toMatchObject({ tradeStatus: 'TRADE_CLOSED' });
  expect((await buyer('pay', outTradeNo)).status).toBe(409);
});

it('refuses to close a paid trade (refund instead)', async () => {
  const outTradeNo = ref();
  await h.provider.createQrOrder({
    outTradeNo,
    amountMinor: 800,
    currency: 'CNY',
    subject: 'x',
    timeoutMinutes: 5,
    notifyUrl: receiver.url,
  });
  h.sim.buyer.pay(outTradeNo);
  const err = await rejection(h.provider.close(outTradeNo));
  expect(err.code).toBe(ErrorCode.InvalidState);
  expect(err.retryable).toBe(false);
  expect(err.details).toMatchObject({ subCode: 'ACQ.TRADE_STATUS_ERROR' });
});

it('repeats precreate idempotently but refuses a changed amount for the same order number', async () => {
  const outTradeNo = ref();
  const input = { outTradeNo, amountMinor: 990, currency: 'CNY', subject: 'x', timeoutMinutes: 5, notifyUrl: receiver.url };
  const first = await h.provider.createQrOrder(input);
  expect(await h.provider.createQrOrder(input)).toEqual(first);
  const err = await rejection(h.provider.createQrOrder({ ...input, amountMinor: 991 }));
  expect(err.code).toBe(ErrorCode.Conflict);
  expect(err.details).toMatchObject({ subCode: 'ACQ.CONTEXT_INCONSISTENT' });
});

it('sends an absolute expiry that the platform enforces', async () => {
  const outTradeNo = ref();
  const expiresAt = new Date(Date.now() + 1_500).toISOString();
  await h.provider.createQrOrder({ outTradeNo, amountMinor: 100, currency: 'CNY', subject: 'x', expiresAt, notifyUrl: receiver.url });
  // time_expire travels as Beijing wall-clock seconds; the simulator read it back to the same second.
  expect(h.sim.trades.get(outTradeNo)?.expiresAt?.toISOString()).toBe(`${expiresAt.slice(0, 19)}.000Z`);
  h.sim.buyer.scan(outTradeNo);
  await new Promise((r) => setTimeout(r, 1_600));
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_CLOSED' });
});

it('rejects a currency the platform does not settle in, before calling it', async () => {
  const err = await rejection(
    h.provider.createQrOrder({
      outTradeNo: ref(),
      amountMinor: 100,
      currency: 'USD',
      subject: 'x',
      timeoutMinutes: 5,
      notifyUrl: receiver.url,
    }),
  );
  expect(err.code).toBe(ErrorCode.ValidationFailed);
});
