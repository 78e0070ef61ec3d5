import { DomainError, ErrorCode } from '../../domain/errors';
import {
  toBarcodePayResult,
  toPaymentNotification,
  toRefundQueryResult,
  toRefundResult,
  toTradeQueryResult,
} from '../../integrations/payment/alipay/mapping';
import { NotificationForm, QueryAnswer, RefundQueryAnswer } from '../../integrations/payment/alipay/responses';

describe('answer mapping', () => {
  it('maps a paid trade query, converting decimal yuan and Beijing time', () => {
    const a = QueryAnswer.parse({
      code: '10000',
      msg: 'Success',
      trade_no: '2024051322001400001234567890',
      out_trade_no: 'T1',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '88.80',
      send_pay_date: '2024-05-13 17:49:20',
      buyer_logon_id: '159****0000',
    });
    expect(toTradeQueryResult(a, 'CNY')).toEqual({
      status: 'TRADE_SUCCESS',
      outTradeNo: 'T1',
      tradeNo: '2024051322001400001234567890',
      amountMinor: 8880,
      currency: 'CNY',
      paidAt: '2024-05-13T09:49:20.000Z',
    });
  });

  it('rejects an unknown trade status at the schema', () => {
    expect(QueryAnswer.safeParse({ trade_no: '1', out_trade_no: 'T', trade_status: 'PAID', total_amount: '1.00' }).success).toBe(false);
  });

  it('maps pay 10000 to success and 10003 to waiting (no paid time)', () => {
    const body = { trade_no: '2024', out_trade_no: 'T1', total_amount: '0.01', gmt_payment: '2024-05-13 17:49:20' };
    expect(toBarcodePayResult('10000', body, 'CNY')).toMatchObject({
      status: 'TRADE_SUCCESS',
      amountMinor: 1,
      paidAt: '2024-05-13T09:49:20.000Z',
    });
    const waiting = toBarcodePayResult('10003', body, 'CNY');
    expect(waiting.status).toBe('WAIT_BUYER_PAY');
    expect(waiting).not.toHaveProperty('paidAt');
  });

  it('maps refund answers: cumulative refund_fee and fund_change', () => {
    const r = toRefundResult({ trade_no: '2024', out_trade_no: 'T1', refund_fee: '12.50', fund_change: 'N' }, 'R1', 'CNY');
    expect(r).toEqual({
      outTradeNo: 'T1',
      outRequestNo: 'R1',
      tradeNo: '2024',
      totalRefundedMinor: 1250,
      currency: 'CNY',
      fundChanged: false,
    });
  });

  it('only treats refund_status REFUND_SUCCESS as a finished refund', () => {
    const ids = { outTradeNo: 'T1', outRequestNo: 'R1' };
    const full = { trade_no: '2024', total_amount: '10.00', refund_amount: '2.00', gmt_refund_pay: '2024-05-13 17:49:20' };
    expect(toRefundQueryResult(RefundQueryAnswer.parse({ ...full, refund_status: 'REFUND_SUCCESS' }), ids, 'CNY')).toMatchObject({
      status: 'SUCCESS',
      refundMinor: 200,
      tradeAmountMinor: 1000,
      refundedAt: '2024-05-13T09:49:20.000Z',
    });
    expect(toRefundQueryResult(RefundQueryAnswer.parse(full), ids, 'CNY')).toEqual({ status: 'NOT_FOUND', ...ids });
    expect(toRefundQueryResult(RefundQueryAnswer.parse({}), ids, 'CNY')).toEqual({ status: 'NOT_FOUND', ...ids });
  });

  it('maps a refund notification, including the millisecond gmt_refund', () => {
    const form = NotificationForm.parse({
      notify_id: 'n1',
      notify_type: 'trade_status_sync',
      notify_time: '2024-05-13 17:50:00',
      app_id: 'A',
      out_trade_no: 'T1',
      trade_no: '2024',
      trade_status: 'TRADE_CLOSED',
      total_amount: '10.00',
      refund_fee: '10.00',
      out_biz_no: 'R1',
      gmt_payment: '2024-05-13 17:00:00',
      gmt_refund: '2024-05-13 17:49:59.320',
      gmt_close: '2024-05-13 17:49:59',
    });
    expect(toPaymentNotification(form, 'CNY')).toEqual({
      notifyId: 'n1',
      notifyType: 'trade_status_sync',
      notifyTime: '2024-05-13T09:50:00.000Z',
      appId: 'A',
      outTradeNo: 'T1',
      tradeNo: '2024',
      tradeStatus: 'TRADE_CLOSED',
      totalAmountMinor: 1000,
      currency: 'CNY',
      refundFeeMinor: 1000,
      outBizNo: 'R1',
      paidAt: '2024-05-13T09:00:00.000Z',
      refundedAt: '2024-05-13T09:49:59.320Z',
      closedAt: '2024-05-13T09:49:59.000Z',
    });
  });

  it('refuses a calendar-impossible platform time as a counterpart fault', () => {
    const a = QueryAnswer.parse({
      trade_no: '1',
      out_trade_no: 'T',
      trade_status: 'TRADE_SUCCESS',
      total_amount: '1.00',
      send_pay_date: '2024-02-30 10:00:00',
    });
    let caught: unknown;
    try {
      toTradeQueryResult(a, 'CNY');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({ code: ErrorCode.CounterpartUnavailable });
  });
});
