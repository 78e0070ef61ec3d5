import { ErrorCode } from '../../domain/errors';
import { AlipayPaymentProvider } from '../../integrations/payment/alipay';
import { generateKeyPairs, type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

/**
 * Every signature in the protocol, exercised for real: the SDK signs requests and the simulator
 * checks them; the simulator signs answers and notifications and the SDK checks those.
 */
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const ref = (): string => tradeRef('S');

async function paidNotification(): Promise<Record<string, string>> {
  const outTradeNo = ref();
  await h.provider.createQrOrder({
    outTradeNo,
    amountMinor: 4200,
    currency: 'CNY',
    subject: '挂号费 & fee=1%',
    timeoutMinutes: 5,
    notifyUrl: receiver.url,
  });
  h.sim.buyer.pay(outTradeNo);
  return (await receiver.waitFor((n) => n.params.out_trade_no === outTradeNo)).params;
}

describe('notifications', () => {
  it('accepts a genuine one, including values with %, & and non-ASCII text', async () => {
    const params = await paidNotification();
    expect(params.subject).toBe('挂号费 & fee=1%');
    expect(h.provider.verifyNotification(params)).toMatchObject({ totalAmountMinor: 4200, tradeStatus: 'TRADE_SUCCESS' });
  });

  it("rejects a forged one (signed with a key that is not the platform's)", async () => {
    h.sim.faults.inject({ kind: 'notifyForged' });
    const params = await paidNotification();
    await h.sim.notifications.idle();
    const attempt = h.sim.notifications.attempts.find((a) => a.outTradeNo === params.out_trade_no);
    expect(attempt?.forged).toBe(true);
    const err = await rejection(() => h.provider.verifyNotification(params));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
  });

  it('rejects a genuine one whose amount was altered, or whose sign is missing', async () => {
    const params = await paidNotification();
    expect((await rejection(() => h.provider.verifyNotification({ ...params, total_amount: '0.01' }))).code).toBe(
      ErrorCode.InvalidSignature,
    );
    expect((await rejection(() => h.provider.verifyNotification({ ...params, trade_status: 'TRADE_CLOSED' }))).code).toBe(
      ErrorCode.InvalidSignature,
    );
    const { sign: _sign, ...unsigned } = params;
    expect((await rejection(() => h.provider.verifyNotification(unsigned))).code).toBe(ErrorCode.InvalidSignature);
  });

  it('rejects a genuinely signed notification addressed to another app', async () => {
    const params = await paidNotification();
    const other = new AlipayPaymentProvider({
      appId: '2021999999999999',
      appPrivateKeyPem: h.keys.app.privateKeyPem,
      platformPublicKeyPem: h.keys.platform.publicKeyPem,
      gatewayUrl: h.sim.gatewayUrl,
    });
    expect((await rejection(() => other.verifyNotification(params))).code).toBe(ErrorCode.InvalidSignature);
  });
});

describe('responses', () => {
  it('rejects an answer altered after the platform signed it (SDK response verification)', async () => {
    const outTradeNo = ref();
    await h.provider.createQrOrder({
      outTradeNo,
      amountMinor: 99_900,
      currency: 'CNY',
      subject: 'x',
      timeoutMinutes: 5,
      notifyUrl: receiver.url,
    });
    h.sim.buyer.pay(outTradeNo);
    h.sim.faults.inject({ kind: 'tamperResponse', method: 'alipay.trade.query' });
    const err = await rejection(h.provider.query(outTradeNo));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    // The untampered answer verifies and shows the real amount.
    expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 99_900 });
  });

  it('rejects answers signed by someone other than the configured platform key', async () => {
    const stranger = await generateKeyPairs();
    const misconfigured = new AlipayPaymentProvider({
      appId: h.sim.appId,
      appPrivateKeyPem: h.keys.app.privateKeyPem,
      platformPublicKeyPem: stranger.platform.publicKeyPem,
      gatewayUrl: h.sim.gatewayUrl,
    });
    expect((await rejection(misconfigured.query(ref()))).code).toBe(ErrorCode.InvalidSignature);
  });
});

describe('requests', () => {
  it("the simulator rejects a request signed with the wrong app key, in the platform's error shape", async () => {
    const stranger = await generateKeyPairs();
    const impostor = new AlipayPaymentProvider({
      appId: h.sim.appId,
      appPrivateKeyPem: stranger.app.privateKeyPem,
      platformPublicKeyPem: h.keys.platform.publicKeyPem,
      gatewayUrl: h.sim.gatewayUrl,
    });
    const outTradeNo = ref();
    const err = await rejection(
      impostor.createQrOrder({
        outTradeNo,
        amountMinor: 100,
        currency: 'CNY',
        subject: 'x',
        timeoutMinutes: 5,
        notifyUrl: receiver.url,
      }),
    );
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    expect(err.details).toMatchObject({ platformCode: '40002', subCode: 'isv.invalid-signature' });
    expect(h.sim.trades.get(outTradeNo)).toBeUndefined();
  });

  it('rejects an unknown app id', async () => {
    const other = new AlipayPaymentProvider({
      appId: '2021999999999999',
      appPrivateKeyPem: h.keys.app.privateKeyPem,
      platformPublicKeyPem: h.keys.platform.publicKeyPem,
      gatewayUrl: h.sim.gatewayUrl,
    });
    const err = await rejection(other.query(ref()));
    expect(err.code).toBe(ErrorCode.Forbidden);
  });

  it('a raw request with a tampered biz_content fails verification at the gateway', async () => {
    // Sign a genuine request with the SDK, then change one byte of the body in transit.
    const { AlipaySdk } = await import('alipay-sdk');
    const sdk = new AlipaySdk({ appId: h.sim.appId, privateKey: h.keys.app.privateKeyPem, keyType: 'PKCS8', gateway: h.sim.gatewayUrl });
    const signed = new URLSearchParams(sdk.sdkExecute('alipay.trade.query', { bizContent: { out_trade_no: 'A1' } }));
    const res1 = await fetch(h.sim.gatewayUrl, { method: 'POST', body: signed });
    expect(await res1.text()).toContain('"sub_code":"ACQ.TRADE_NOT_EXIST"');
    signed.set('biz_content', JSON.stringify({ out_trade_no: 'A2' }));
    const res2 = await fetch(h.sim.gatewayUrl, { method: 'POST', body: signed });
    const body: unknown = await res2.json();
    expect(body).toMatchObject({ alipay_trade_query_response: { code: '40002', sub_code: 'isv.invalid-signature' } });
    expect(body).toHaveProperty('sign');
  });
});
