import { AlipayRequestError } from 'alipay-sdk';
import { DomainError, ErrorCode } from '../../domain/errors';
import { fromSdkError, platformError } from '../../integrations/payment/alipay/errors';

describe('platformError', () => {
  it.each([
    ['20000', 'isp.unknow-error', ErrorCode.CounterpartUnavailable, true],
    ['40004', 'ACQ.SYSTEM_ERROR', ErrorCode.CounterpartUnavailable, true],
    ['40004', 'ACQ.TRADE_NOT_EXIST', ErrorCode.NotFound, false],
    ['40004', 'isp.bill_not_exist', ErrorCode.NotFound, false],
    ['40002', 'isv.invalid-signature', ErrorCode.InvalidSignature, false],
    ['40002', 'isv.invalid-app-id', ErrorCode.Forbidden, false],
    ['40006', 'isv.insufficient-isv-permissions', ErrorCode.Forbidden, false],
    ['40004', 'ACQ.TRADE_HAS_SUCCESS', ErrorCode.InvalidState, false],
    ['40004', 'ACQ.TRADE_STATUS_ERROR', ErrorCode.InvalidState, false],
    ['40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', ErrorCode.InvalidState, false],
    ['40004', 'ACQ.CONTEXT_INCONSISTENT', ErrorCode.Conflict, false],
    ['40004', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', ErrorCode.PaymentDeclined, false],
    ['40004', 'ACQ.PAYMENT_AUTH_CODE_INVALID', ErrorCode.PaymentDeclined, false],
    ['40004', 'ACQ.SOMETHING_NEW', ErrorCode.PaymentDeclined, false],
    ['40002', 'isv.invalid-parameter', ErrorCode.ValidationFailed, false],
    ['40001', 'isv.missing-method', ErrorCode.ValidationFailed, false],
    ['99999', undefined, ErrorCode.CounterpartUnavailable, true],
  ])('%s %s → %s', (code, subCode, expected, retryable) => {
    const err = platformError('alipay.trade.pay', { code, sub_code: subCode });
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe(expected);
    expect(err.retryable).toBe(retryable);
    expect(err.details).toEqual({ method: 'alipay.trade.pay', platformCode: code, subCode: subCode ?? '' });
  });
});

describe('fromSdkError', () => {
  it('treats a failed response-signature check as InvalidSignature without echoing the signed text', () => {
    const sdkErr = new AlipayRequestError('验签失败，服务端返回的 sign: \'abc\' 无效, validateStr: \'{"total_amount":"9.99"}\'');
    const mapped = fromSdkError('alipay.trade.query', sdkErr);
    expect(mapped).toMatchObject({ code: ErrorCode.InvalidSignature });
    expect(JSON.stringify(mapped)).not.toContain('9.99');
    expect(mapped instanceof Error ? mapped.message : '').not.toContain('9.99');
  });

  it('treats transport failures and non-200 answers as CounterpartUnavailable', () => {
    expect(fromSdkError('m', new AlipayRequestError('HttpClient Request error: connect ECONNREFUSED'))).toMatchObject({
      code: ErrorCode.CounterpartUnavailable,
    });
    expect(fromSdkError('m', new AlipayRequestError('HTTP 请求错误, status: 503'))).toMatchObject({
      code: ErrorCode.CounterpartUnavailable,
    });
  });

  it('passes other errors through unchanged', () => {
    const boom = new TypeError('bug');
    expect(fromSdkError('m', boom)).toBe(boom);
    const domain = new DomainError(ErrorCode.NotFound, 'x');
    expect(fromSdkError('m', domain)).toBe(domain);
  });
});
