import { AlipayRequestError } from 'alipay-sdk';
import { DomainError, ErrorCode } from '../../../domain/errors';

/**
 * Maps the platform's answer codes to our taxonomy. `code` is the gateway class (10000 ok,
 * 20000 service unavailable, 4000x caller errors, 40004 business refusal); `sub_code` says why.
 * sub_msg is deliberately not copied: for signature errors it echoes the signed content.
 */
const UNAVAILABLE = new Set(['ACQ.SYSTEM_ERROR', 'aop.ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'isp.unknown-error']);
/** USER_AGREEMENT_NOT_EXIST: query/unsign of an agreement that was never signed or is already gone. */
const NOT_FOUND = new Set(['ACQ.TRADE_NOT_EXIST', 'isp.bill_not_exist', 'USER_AGREEMENT_NOT_EXIST']);
const BAD_SIGNATURE = new Set(['isv.invalid-signature', 'isv.missing-signature', 'isv.invalid-signature-type']);
const FORBIDDEN = new Set(['isv.invalid-app-id', 'isv.app-unbind-partner', 'ACQ.ACCESS_FORBIDDEN', 'isv.insufficient-isv-permissions']);
const WRONG_STATE = new Set([
  'ACQ.TRADE_HAS_SUCCESS',
  'ACQ.TRADE_HAS_CLOSE',
  'ACQ.TRADE_HAS_FINISHED',
  'ACQ.TRADE_STATUS_ERROR',
  'ACQ.REASON_TRADE_BEEN_FREEZEN',
  'ACQ.TRADE_NOT_ALLOW_REFUND',
  'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
]);

export interface PlatformAnswer {
  code: string;
  sub_code?: string | undefined;
}

export function platformError(method: string, answer: PlatformAnswer): DomainError {
  const subCode = answer.sub_code ?? '';
  const details = { method, platformCode: answer.code, subCode };
  const say = (what: string): string => `${method}: ${what} (${answer.code}${subCode ? ` ${subCode}` : ''})`;
  if (answer.code === '20000' || UNAVAILABLE.has(subCode)) {
    return new DomainError(ErrorCode.CounterpartUnavailable, say('platform unavailable'), details);
  }
  if (NOT_FOUND.has(subCode)) return new DomainError(ErrorCode.NotFound, say('not found'), details);
  if (BAD_SIGNATURE.has(subCode)) return new DomainError(ErrorCode.InvalidSignature, say('request signature rejected'), details);
  if (FORBIDDEN.has(subCode) || answer.code === '40006' || answer.code === '20001') {
    return new DomainError(ErrorCode.Forbidden, say('not permitted'), details);
  }
  if (subCode === 'ACQ.CONTEXT_INCONSISTENT') {
    return new DomainError(ErrorCode.Conflict, say('order number reused with different details'), details);
  }
  if (WRONG_STATE.has(subCode)) return new DomainError(ErrorCode.InvalidState, say('trade state forbids this'), details);
  if (answer.code === '40004') return new DomainError(ErrorCode.PaymentDeclined, say('refused'), details);
  if (answer.code === '40001' || answer.code === '40002') {
    return new DomainError(ErrorCode.ValidationFailed, say('request rejected'), details);
  }
  return new DomainError(ErrorCode.CounterpartUnavailable, say('unexpected answer'), details);
}

/**
 * The SDK throws AlipayRequestError for transport failures, non-200 answers, unparseable bodies
 * and failed response-signature checks alike; only its message tells them apart. A response
 * that fails verification is not the platform's answer, so it must not be trusted or retried blindly.
 */
export function fromSdkError(method: string, err: unknown): unknown {
  if (err instanceof DomainError) return err;
  if (err instanceof AlipayRequestError) {
    if (err.message.includes('验签失败')) {
      return new DomainError(ErrorCode.InvalidSignature, `${method}: response signature verification failed`, { method });
    }
    return new DomainError(ErrorCode.CounterpartUnavailable, `${method}: ${err.message.split(',')[0] ?? 'request failed'}`, {
      method,
      cause: err.message.slice(0, 200),
    });
  }
  return err;
}
