import { z } from 'zod';

/**
 * Raw response bodies of the classic gateway (`<method>_response` objects), snake_case as in the
 * open-platform docs; the SDK is configured with `camelcase: false` so these match the docs.
 * Only the fields we use are declared; zod drops the rest.
 */
const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/);
const WallClock = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$/);

export const CommonAnswer = z.object({
  code: z.string(),
  msg: z.string(),
  sub_code: z.string().optional(),
  sub_msg: z.string().optional(),
});
export type CommonAnswer = z.infer<typeof CommonAnswer>;

export const PrecreateAnswer = z.object({ out_trade_no: z.string(), qr_code: z.string().min(1) });
export type PrecreateAnswer = z.infer<typeof PrecreateAnswer>;

export const PayAnswer = z.object({
  trade_no: z.string().min(1),
  out_trade_no: z.string(),
  total_amount: Decimal,
  gmt_payment: WallClock.optional(),
});
export type PayAnswer = z.infer<typeof PayAnswer>;

export const QueryAnswer = z.object({
  trade_no: z.string().min(1),
  out_trade_no: z.string(),
  trade_status: z.enum(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']),
  total_amount: Decimal,
  /** Payment time; only present once paid. */
  send_pay_date: WallClock.optional(),
});
export type QueryAnswer = z.infer<typeof QueryAnswer>;

export const CloseAnswer = z.object({ trade_no: z.string().optional(), out_trade_no: z.string().optional() });
export type CloseAnswer = z.infer<typeof CloseAnswer>;

export const CancelAnswer = z.object({
  out_trade_no: z.string().optional(),
  retry_flag: z.enum(['Y', 'N']).optional(),
  /** close: the unpaid trade was closed; refund: the paid trade was refunded in full; '' or absent: nothing to do. */
  action: z.string().optional(),
});
export type CancelAnswer = z.infer<typeof CancelAnswer>;

export const RefundAnswer = z.object({
  trade_no: z.string().min(1),
  out_trade_no: z.string(),
  /** Cumulative refunded amount of the trade, not this request's amount. */
  refund_fee: Decimal,
  /** 'N' on a repeated out_request_no: nothing moved this time. */
  fund_change: z.enum(['Y', 'N']),
  gmt_refund_pay: WallClock.optional(),
});
export type RefundAnswer = z.infer<typeof RefundAnswer>;

/** Empty (besides code/msg) when the refund was never received or did not succeed. */
export const RefundQueryAnswer = z.object({
  trade_no: z.string().optional(),
  out_trade_no: z.string().optional(),
  out_request_no: z.string().optional(),
  total_amount: Decimal.optional(),
  refund_amount: Decimal.optional(),
  refund_status: z.string().optional(),
  gmt_refund_pay: WallClock.optional(),
});
export type RefundQueryAnswer = z.infer<typeof RefundQueryAnswer>;

export const BillUrlAnswer = z.object({ bill_download_url: z.url() });
export type BillUrlAnswer = z.infer<typeof BillUrlAnswer>;

/** Asynchronous notification form fields (after signature verification). */
export const NotificationForm = z.object({
  notify_id: z.string().min(1),
  notify_type: z.string().min(1),
  notify_time: WallClock,
  app_id: z.string().min(1),
  seller_id: z.string().optional(),
  out_trade_no: z.string(),
  trade_no: z.string().min(1),
  trade_status: z.enum(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']),
  total_amount: Decimal,
  receipt_amount: Decimal.optional(),
  refund_fee: Decimal.optional(),
  out_biz_no: z.string().optional(),
  gmt_create: WallClock.optional(),
  gmt_payment: WallClock.optional(),
  gmt_refund: WallClock.optional(),
  gmt_close: WallClock.optional(),
});
export type NotificationForm = z.infer<typeof NotificationForm>;

/** alipay.user.agreement.query: the agreement as the platform holds it. */
export const AgreementQueryAnswer = z.object({
  agreement_no: z.string().min(1),
  external_agreement_no: z.string().optional(),
  status: z.enum(['NORMAL', 'TEMP', 'STOP', 'UNSIGN']),
  sign_time: WallClock.optional(),
  invalid_time: WallClock.optional(),
});
export type AgreementQueryAnswer = z.infer<typeof AgreementQueryAnswer>;

/** alipay.trade.pay under an agreement: settled at once or refused, never waiting for the user. */
export const AgreementPayAnswer = z.object({
  trade_no: z.string().min(1),
  out_trade_no: z.string(),
  total_amount: Decimal,
  gmt_payment: WallClock.optional(),
});
export type AgreementPayAnswer = z.infer<typeof AgreementPayAnswer>;

/** dut_user_sign / dut_user_unsign notification form (after signature verification). */
export const AgreementNotificationForm = z.object({
  notify_id: z.string().min(1),
  notify_type: z.enum(['dut_user_sign', 'dut_user_unsign']),
  notify_time: WallClock,
  app_id: z.string().min(1).optional(),
  agreement_no: z.string().min(1),
  external_agreement_no: z.string().optional(),
  status: z.enum(['NORMAL', 'TEMP', 'STOP', 'UNSIGN']),
  sign_time: WallClock.optional(),
  unsign_time: WallClock.optional(),
});
export type AgreementNotificationForm = z.infer<typeof AgreementNotificationForm>;
