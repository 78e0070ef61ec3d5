import { AlipaySdk } from 'alipay-sdk';
import { z } from 'zod';
import { generateKeyPairs, type SimulatorKeyPairs } from '../../integrations/payment/simulator/keys';
import {
  requestSignContent,
  signNotification,
  signedAnswerBody,
  verifyRequestSignature,
} from '../../integrations/payment/simulator/signing';

/**
 * The simulator's signing is written from the platform's rules; these tests pin it against the
 * SDK's own implementation in both directions, without HTTP.
 */
let keys: SimulatorKeyPairs;
let sdk: AlipaySdk;

beforeAll(async () => {
  keys = await generateKeyPairs();
  sdk = new AlipaySdk({
    appId: '2021000000000001',
    privateKey: keys.app.privateKeyPem,
    keyType: 'PKCS8',
    alipayPublicKey: keys.platform.publicKeyPem,
  });
});

it('generates distinct RSA-2048 PEM pairs for app and platform', () => {
  expect(keys.app.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  expect(keys.app.publicKeyPem).toContain('BEGIN PUBLIC KEY');
  expect(keys.app.publicKeyPem).not.toBe(keys.platform.publicKeyPem);
});

it('verifies a request the SDK signed, and rejects it once any parameter changes', () => {
  const signed = Object.fromEntries(
    new URLSearchParams(
      sdk.sdkExecute('alipay.trade.query', { bizContent: { out_trade_no: 'T1' }, notifyUrl: 'http://127.0.0.1/n?a=1&b=2' }),
    ),
  );
  expect(verifyRequestSignature(signed, keys.app.publicKeyPem)).toBe(true);
  expect(verifyRequestSignature({ ...signed, biz_content: '{"out_trade_no":"T2"}' }, keys.app.publicKeyPem)).toBe(false);
  expect(verifyRequestSignature({ ...signed, sign_type: 'RSA' }, keys.app.publicKeyPem)).toBe(false);
  expect(verifyRequestSignature(signed, keys.platform.publicKeyPem)).toBe(false);
  expect(verifyRequestSignature({ ...signed, sign: '' }, keys.app.publicKeyPem)).toBe(false);
});

it('builds the request sign content from sorted, non-empty parameters without sign', () => {
  expect(requestSignContent({ b: '2', sign: 'x', a: '1', c: '' })).toBe('a=1&b=2');
});

it("signs answers so that the SDK's response check accepts them, and only them", () => {
  const key = 'alipay_trade_query_response';
  const body = signedAnswerBody(
    key,
    { code: '10000', msg: 'Success', total_amount: '12.34', url: 'http://x/y' },
    keys.platform.privateKeyPem,
  );
  const { sign } = z.object({ sign: z.string().min(300) }).parse(JSON.parse(body));
  expect(() => sdk.checkResponseSign(body, key, sign, 't')).not.toThrow();
  expect(() => sdk.checkResponseSign(body.replace('12.34', '0.01'), key, sign, 't')).toThrow('验签失败');
});

it('signs notifications so that checkNotifySignV2 accepts them, and only them', () => {
  const params = signNotification(
    { notify_id: 'n1', out_trade_no: 'T1', total_amount: '12.34', subject: '挂号 50% & more', app_id: '2021000000000001' },
    keys.platform.privateKeyPem,
  );
  expect(params.sign_type).toBe('RSA2');
  expect(sdk.checkNotifySignV2(params)).toBe(true);
  expect(sdk.checkNotifySignV2({ ...params, total_amount: '12.35' })).toBe(false);
  expect(sdk.checkNotifySignV2({ ...params, extra: 'x' })).toBe(false);
  const forged = signNotification({ notify_id: 'n1' }, keys.app.privateKeyPem);
  expect(sdk.checkNotifySignV2(forged)).toBe(false);
});
