import { ErrorCode } from '../../domain/errors';
import { type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

/** Faults the simulator injects, and what the adapter turns them into. */
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } }, provider: { timeoutMs: 400 } }, (a, b) => {
  h = a;
  receiver = b;
});
afterEach(() => h.sim.faults.clear());

const ref = (): string => tradeRef('F');

async function order(amountMinor = 100): Promise<string> {
  const outTradeNo = ref();
  await h.provider.createQrOrder({ outTradeNo, amountMinor, currency: 'CNY', subject: 'x', timeoutMinutes: 5, notifyUrl: receiver.url });
  return outTradeNo;
}

describe('gateway', () => {
  it('maps HTTP 5xx to retryable CounterpartUnavailable for N calls, then recovers', async () => {
    const outTradeNo = await order();
    h.sim.faults.inject({ kind: 'http5xx', status: 502, times: 2, method: 'alipay.trade.query' });
    for (let i = 0; i < 2; i++) {
      const err = await rejection(h.provider.query(outTradeNo));
      expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
      expect(err.retryable).toBe(true);
    }
    expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('scopes a fault to its method', async () => {
    h.sim.faults.inject({ kind: 'http5xx', method: 'alipay.trade.refund' });
    const outTradeNo = await order();
    expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('maps a signed "system busy" answer (20000) to CounterpartUnavailable', async () => {
    const outTradeNo = await order();
    h.sim.faults.inject({ kind: 'systemError', method: 'alipay.trade.close' });
    const err = await rejection(h.provider.close(outTradeNo));
    expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
    expect(err.details).toMatchObject({ platformCode: '20000' });
  });

  it('times out when the platform never answers, and tolerates a delay within the timeout', async () => {
    const outTradeNo = await order();
    h.sim.faults.inject({ kind: 'timeout' });
    const started = Date.now();
    const err = await rejection(h.provider.query(outTradeNo));
    expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    h.sim.faults.inject({ kind: 'delay', ms: 150 });
    expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('a lost answer: the platform cancels the order, but the client times out not knowing', async () => {
    const outTradeNo = await order();
    h.sim.faults.inject({ kind: 'lostAnswer', method: 'alipay.trade.cancel' });
    const err = await rejection(h.provider.cancel(outTradeNo));
    expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
    expect(h.sim.trades.get(outTradeNo)?.state).toBe('TRADE_CLOSED');
  });

  it('reports an unreachable gateway as CounterpartUnavailable', async () => {
    const { AlipayPaymentProvider } = await import('../../integrations/payment/alipay');
    const dead = new AlipayPaymentProvider({
      appId: h.sim.appId,
      appPrivateKeyPem: h.keys.app.privateKeyPem,
      platformPublicKeyPem: h.keys.platform.publicKeyPem,
      gatewayUrl: 'http://127.0.0.1:1/gateway.do',
      timeoutMs: 400,
    });
    expect((await rejection(dead.query(ref()))).code).toBe(ErrorCode.CounterpartUnavailable);
  });

  it('accepts faults through the HTTP control endpoint', async () => {
    const bad = await fetch(`${h.sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kind":"nope"}',
    });
    expect(bad.status).toBe(400);
    const ok = await fetch(`${h.sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'http5xx', method: 'alipay.trade.query' }),
    });
    expect(ok.status).toBe(204);
    expect((await rejection(h.provider.query(ref()))).code).toBe(ErrorCode.CounterpartUnavailable);
  });
});

describe('notifications', () => {
  it('delivers a notification twice with the same notify_id', async () => {
    h.sim.faults.inject({ kind: 'notifyDuplicate' });
    const outTradeNo = await order();
    h.sim.buyer.pay(outTradeNo);
    await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo);
    await h.sim.notifications.idle();
    const copies = receiver.received.filter((n) => n.params.out_trade_no === outTradeNo);
    expect(copies).toHaveLength(2);
    expect(copies[0]?.params.notify_id).toBe(copies[1]?.params.notify_id);
    for (const c of copies) expect(h.provider.verifyNotification(c.params).tradeStatus).toBe('TRADE_SUCCESS');
  });

  it('delivers late', async () => {
    h.sim.faults.inject({ kind: 'notifyLate', ms: 300 });
    const outTradeNo = await order();
    const paidAt = Date.now();
    h.sim.buyer.pay(outTradeNo);
    await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo);
    expect(Date.now() - paidAt).toBeGreaterThanOrEqual(280);
  });

  it('delivers out of order: the refund notice before the payment notice', async () => {
    h.sim.faults.inject({ kind: 'notifyOutOfOrder', count: 2 });
    const outTradeNo = await order(1_000);
    h.sim.buyer.pay(outTradeNo);
    await h.provider.refund({ outTradeNo, outRequestNo: ref(), refundMinor: 1_000, currency: 'CNY' });
    await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo && n.params.trade_status === 'TRADE_SUCCESS');
    const mine = receiver.received.filter((n) => n.params.out_trade_no === outTradeNo);
    expect(mine.map((n) => n.params.trade_status)).toEqual(['TRADE_CLOSED', 'TRADE_SUCCESS']);
    // Each is still genuine; ordering is the receiver's problem (use gmt_* and refund_fee, not arrival).
    const [closed, success] = mine.map((n) => h.provider.verifyNotification(n.params));
    expect(closed?.refundFeeMinor).toBe(1_000);
    expect(success?.refundFeeMinor).toBeUndefined();
  });
});
