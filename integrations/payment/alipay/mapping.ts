import { DomainError, ErrorCode } from '../../../domain/errors';
import { parseMajor } from '../../../domain/money';
import { BarcodePayResult, PaymentNotification, RefundQueryResult, RefundResult, TradeQueryResult } from '../provider';
import type { NotificationForm, PayAnswer, QueryAnswer, RefundAnswer, RefundQueryAnswer } from './responses';
import { parsePlatformTime } from './time';

/**
 * Pure translations from the platform's (already verified and zod-parsed) answers to our domain
 * types. Decimal strings become minor units here, wall-clock times become UTC instants.
 */

function time(text: string | undefined, field: string): string | undefined {
  if (text === undefined || text === '') return undefined;
  const iso = parsePlatformTime(text);
  if (!iso) throw new DomainError(ErrorCode.CounterpartUnavailable, `unreadable platform time in ${field}`);
  return iso;
}

/** Spread helper: leaves the key out rather than writing `key: undefined`. */
function optional<V>(key: string, value: V | undefined): Record<string, V> {
  return value === undefined ? {} : { [key]: value };
}

export function toBarcodePayResult(code: string, a: PayAnswer, currency: string): BarcodePayResult {
  return BarcodePayResult.parse({
    outTradeNo: a.out_trade_no,
    tradeNo: a.trade_no,
    // 10003: accepted, waiting for the buyer to confirm on the phone.
    status: code === '10003' ? 'WAIT_BUYER_PAY' : 'TRADE_SUCCESS',
    amountMinor: parseMajor(a.total_amount, currency),
    currency,
    ...optional('paidAt', code === '10003' ? undefined : time(a.gmt_payment, 'gmt_payment')),
  });
}

export function toTradeQueryResult(a: QueryAnswer, currency: string): TradeQueryResult {
  return TradeQueryResult.parse({
    status: a.trade_status,
    outTradeNo: a.out_trade_no,
    tradeNo: a.trade_no,
    amountMinor: parseMajor(a.total_amount, currency),
    currency,
    ...optional('paidAt', time(a.send_pay_date, 'send_pay_date')),
  });
}

export function toRefundResult(a: RefundAnswer, outRequestNo: string, currency: string): RefundResult {
  return RefundResult.parse({
    outTradeNo: a.out_trade_no,
    outRequestNo,
    tradeNo: a.trade_no,
    totalRefundedMinor: parseMajor(a.refund_fee, currency),
    currency,
    fundChanged: a.fund_change === 'Y',
    ...optional('refundedAt', time(a.gmt_refund_pay, 'gmt_refund_pay')),
  });
}

/**
 * Per the current docs only refund_status REFUND_SUCCESS means success; anything else (absent,
 * or answered before processing finished) means "not done": retry with the same request number.
 */
export function toRefundQueryResult(
  a: RefundQueryAnswer,
  ids: { outTradeNo: string; outRequestNo: string },
  currency: string,
): RefundQueryResult {
  if (a.refund_status !== 'REFUND_SUCCESS' || !a.refund_amount || !a.trade_no || !a.total_amount) {
    return { status: 'NOT_FOUND', ...ids };
  }
  return RefundQueryResult.parse({
    status: 'SUCCESS',
    ...ids,
    tradeNo: a.trade_no,
    refundMinor: parseMajor(a.refund_amount, currency),
    tradeAmountMinor: parseMajor(a.total_amount, currency),
    currency,
    ...optional('refundedAt', time(a.gmt_refund_pay, 'gmt_refund_pay')),
  });
}

export function toPaymentNotification(f: NotificationForm, currency: string): PaymentNotification {
  // A notification is signed input, not an answer to retry: a bad value is a 422 naming its form field.
  const field = <T>(name: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'invalid';
      throw new DomainError(ErrorCode.ValidationFailed, `payment notification ${name}: ${reason}`, {
        fields: [{ field: name, message: reason }],
      });
    }
  };
  const money = (name: string, text: string | undefined): number | undefined =>
    text === undefined ? undefined : field(name, () => parseMajor(text, currency));
  const when = (name: string, text: string | undefined): string | undefined =>
    text === undefined || text === ''
      ? undefined
      : field(name, () => {
          const iso = parsePlatformTime(text);
          if (!iso) throw new Error('not a real time');
          return iso;
        });
  return PaymentNotification.parse({
    notifyId: f.notify_id,
    notifyType: f.notify_type,
    notifyTime: when('notify_time', f.notify_time),
    appId: f.app_id,
    ...optional('sellerId', f.seller_id),
    outTradeNo: f.out_trade_no,
    tradeNo: f.trade_no,
    tradeStatus: f.trade_status,
    totalAmountMinor: money('total_amount', f.total_amount),
    currency,
    ...optional('receiptAmountMinor', money('receipt_amount', f.receipt_amount)),
    ...optional('refundFeeMinor', money('refund_fee', f.refund_fee)),
    ...optional('outBizNo', f.out_biz_no),
    ...optional('createdAt', when('gmt_create', f.gmt_create)),
    ...optional('paidAt', when('gmt_payment', f.gmt_payment)),
    ...optional('refundedAt', when('gmt_refund', f.gmt_refund)),
    ...optional('closedAt', when('gmt_close', f.gmt_close)),
  });
}
