import { z } from 'zod';
import { AmountMinor, CurrencyCode } from '../../domain/money';

/**
 * What Causeway needs from a payment platform, independent of which one. Times are ISO-8601 UTC
 * strings (not Date) so every value survives a Temporal payload unchanged. Business refusals
 * surface as non-retryable DomainErrors (PaymentDeclined, InvalidState, NotFound, …); network
 * failures and platform 5xx as CounterpartUnavailable, which activities retry.
 */

/** Merchant-side identifiers: the platform allows 64 chars of letters, digits, '_' and '-'. */
export const MerchantRef = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
export type MerchantRef = z.infer<typeof MerchantRef>;

const PositiveMinor = AmountMinor.refine((n) => n > 0, 'amount must be positive');
const IsoInstant = z.iso.datetime({ offset: true });

export const CreateQrOrderInput = z
  .object({
    outTradeNo: MerchantRef,
    amountMinor: PositiveMinor,
    currency: CurrencyCode,
    subject: z.string().min(1).max(256),
    /** Absolute deadline after which the buyer can no longer pay (e.g. the booking hold). */
    expiresAt: IsoInstant.optional(),
    /** Relative alternative to expiresAt; ignored when expiresAt is given. */
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(15 * 24 * 60)
      .optional(),
    notifyUrl: z.url(),
  })
  .refine((v) => v.expiresAt !== undefined || v.timeoutMinutes !== undefined, {
    message: 'expiresAt or timeoutMinutes is required',
    path: ['expiresAt'],
  });
export type CreateQrOrderInput = z.infer<typeof CreateQrOrderInput>;

export const QrOrder = z.object({ outTradeNo: MerchantRef, qrCode: z.string().min(1) });
export type QrOrder = z.infer<typeof QrOrder>;

export const PayByBarcodeInput = z.object({
  outTradeNo: MerchantRef,
  amountMinor: PositiveMinor,
  currency: CurrencyCode,
  subject: z.string().min(1).max(256),
  /** The buyer's payment code scanned at the till; short-lived, never logged. */
  authCode: z.string().regex(/^\d{16,24}$/, 'payment code is 16-24 digits'),
  notifyUrl: z.url().optional(),
});
export type PayByBarcodeInput = z.infer<typeof PayByBarcodeInput>;

/** WAIT_BUYER_PAY means the buyer must confirm on the phone: poll `query` until it settles. */
export const BarcodePayResult = z.object({
  outTradeNo: MerchantRef,
  tradeNo: z.string().min(1),
  status: z.enum(['TRADE_SUCCESS', 'WAIT_BUYER_PAY']),
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  paidAt: IsoInstant.optional(),
});
export type BarcodePayResult = z.infer<typeof BarcodePayResult>;

export const TradeStatus = z.enum(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']);
export type TradeStatus = z.infer<typeof TradeStatus>;

export const TradeQueryResult = z.discriminatedUnion('status', [
  /** For a QR order this also means "created but not scanned yet": the platform only opens the
   * trade when the buyer scans. */
  z.object({ status: z.literal('NOT_FOUND'), outTradeNo: MerchantRef }),
  z.object({
    status: TradeStatus,
    outTradeNo: MerchantRef,
    tradeNo: z.string().min(1),
    amountMinor: AmountMinor,
    currency: CurrencyCode,
    paidAt: IsoInstant.optional(),
  }),
]);
export type TradeQueryResult = z.infer<typeof TradeQueryResult>;

export const CloseResult = z.object({
  outTradeNo: MerchantRef,
  /** NOT_FOUND: never scanned; it stays payable until its expiry, so keep the expiry honest. */
  status: z.enum(['CLOSED', 'NOT_FOUND']),
  tradeNo: z.string().optional(),
});
export type CloseResult = z.infer<typeof CloseResult>;

/**
 * alipay.trade.cancel: undoes a face-to-face payment whose outcome the till could not learn (a
 * USERPAYING that timed out, a lost answer). An unpaid trade is closed; a paid one is refunded in full.
 * `retry` says the platform could not finish and the same call should be repeated.
 */
export const CancelResult = z.object({
  outTradeNo: MerchantRef,
  action: z.enum(['close', 'refund', 'none']),
  retry: z.boolean(),
});
export type CancelResult = z.infer<typeof CancelResult>;

export const RefundInput = z.object({
  outTradeNo: MerchantRef,
  /** Idempotency key: repeating it never refunds twice. */
  outRequestNo: MerchantRef,
  refundMinor: PositiveMinor,
  currency: CurrencyCode,
  reason: z.string().max(256).optional(),
});
export type RefundInput = z.infer<typeof RefundInput>;

export const RefundResult = z.object({
  outTradeNo: MerchantRef,
  outRequestNo: MerchantRef,
  tradeNo: z.string().min(1),
  /** Cumulative refunded amount of the whole trade after this request. */
  totalRefundedMinor: AmountMinor,
  currency: CurrencyCode,
  /** false when this request had already been applied (a repeat) — money did not move again. */
  fundChanged: z.boolean(),
  refundedAt: IsoInstant.optional(),
});
export type RefundResult = z.infer<typeof RefundResult>;

export const RefundQueryInput = z.object({ outTradeNo: MerchantRef, outRequestNo: MerchantRef });
export type RefundQueryInput = z.infer<typeof RefundQueryInput>;

export const RefundQueryResult = z.discriminatedUnion('status', [
  /** Not received or not (yet) successful: retry `refund` with the same outRequestNo. */
  z.object({ status: z.literal('NOT_FOUND'), outTradeNo: MerchantRef, outRequestNo: MerchantRef }),
  z.object({
    status: z.literal('SUCCESS'),
    outTradeNo: MerchantRef,
    outRequestNo: MerchantRef,
    tradeNo: z.string().min(1),
    refundMinor: AmountMinor,
    tradeAmountMinor: AmountMinor,
    currency: CurrencyCode,
    refundedAt: IsoInstant.optional(),
  }),
]);
export type RefundQueryResult = z.infer<typeof RefundQueryResult>;

/** A service day in the platform's time zone (Asia/Shanghai for Alipay). */
export const BillDate = z.iso.date();
export type BillDate = z.infer<typeof BillDate>;

export const BillRow = z.object({
  outTradeNo: z.string(),
  tradeNo: z.string().min(1),
  kind: z.enum(['payment', 'refund']),
  /** Magnitude, always positive; `kind` says which way the money went. */
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  outRequestNo: z.string().optional(),
  finishedAt: IsoInstant,
});
export type BillRow = z.infer<typeof BillRow>;

export const PaymentNotification = z.object({
  notifyId: z.string().min(1),
  notifyType: z.string().min(1),
  notifyTime: IsoInstant,
  appId: z.string().min(1),
  /** The merchant (seller) account the payment went to; checked against ours. */
  sellerId: z.string().optional(),
  outTradeNo: MerchantRef,
  tradeNo: z.string().min(1),
  tradeStatus: TradeStatus,
  totalAmountMinor: AmountMinor,
  currency: CurrencyCode,
  receiptAmountMinor: AmountMinor.optional(),
  /** Cumulative refunded amount, present on refund-triggered notifications. */
  refundFeeMinor: AmountMinor.optional(),
  /** Set on refund notifications: the outRequestNo of the refund. */
  outBizNo: z.string().optional(),
  createdAt: IsoInstant.optional(),
  paidAt: IsoInstant.optional(),
  refundedAt: IsoInstant.optional(),
  closedAt: IsoInstant.optional(),
});
export type PaymentNotification = z.infer<typeof PaymentNotification>;

/**
 * Withholding agreements ("ride now, pay later"): the user signs once on the platform's page; the
 * merchant then charges with `agreement_no` and no action from the user. `externalAgreementNo` is
 * ours (the platform allows 32 letters and digits); `agreementNo` is the platform's.
 */
export const ExternalAgreementNo = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9]+$/, 'letters and digits only');
export type ExternalAgreementNo = z.infer<typeof ExternalAgreementNo>;

export const AgreementNo = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9]+$/, 'letters and digits only');
export type AgreementNo = z.infer<typeof AgreementNo>;

export const AgreementSignInput = z.object({
  externalAgreementNo: ExternalAgreementNo,
  /** Shown (masked) on the sign page so the user sees which account signs; never PII here. */
  externalLogonId: z.string().min(1).max(100),
  /** Where the platform posts the signed / unsigned agreement notifications. */
  notifyUrl: z.url(),
  /** Where the user's browser returns after signing (optional). */
  returnUrl: z.url().optional(),
});
export type AgreementSignInput = z.infer<typeof AgreementSignInput>;

export const AgreementSignPage = z.object({
  externalAgreementNo: ExternalAgreementNo,
  /** The signed page link the partner app opens for the user (GET). */
  signUrl: z.url(),
});
export type AgreementSignPage = z.infer<typeof AgreementSignPage>;

export const AgreementRef = z.union([z.object({ agreementNo: AgreementNo }), z.object({ externalAgreementNo: ExternalAgreementNo })]);
export type AgreementRef = z.infer<typeof AgreementRef>;

/** NORMAL: usable; TEMP: signed but not yet effective; STOP: paused; UNSIGN: ended (our name for "gone"). */
export const AgreementStatus = z.enum(['NORMAL', 'TEMP', 'STOP', 'UNSIGN']);
export type AgreementStatus = z.infer<typeof AgreementStatus>;

export const AgreementQueryResult = z.discriminatedUnion('status', [
  /** Never signed (or the page never confirmed): nothing exists at the platform. */
  z.object({ status: z.literal('NOT_FOUND') }),
  z.object({
    status: AgreementStatus,
    agreementNo: AgreementNo,
    externalAgreementNo: z.string().optional(),
    signedAt: IsoInstant.optional(),
    validUntil: IsoInstant.optional(),
  }),
]);
export type AgreementQueryResult = z.infer<typeof AgreementQueryResult>;

export const AgreementUnsignResult = z.object({
  /** false: it was already unsigned (or never existed); nothing changed this time. */
  changed: z.boolean(),
});
export type AgreementUnsignResult = z.infer<typeof AgreementUnsignResult>;

export const PayByAgreementInput = z.object({
  outTradeNo: MerchantRef,
  agreementNo: AgreementNo,
  amountMinor: PositiveMinor,
  currency: CurrencyCode,
  subject: z.string().min(1).max(256),
  notifyUrl: z.url().optional(),
});
export type PayByAgreementInput = z.infer<typeof PayByAgreementInput>;

export const AgreementPayResult = z.object({
  outTradeNo: MerchantRef,
  tradeNo: z.string().min(1),
  status: z.literal('TRADE_SUCCESS'),
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  paidAt: IsoInstant.optional(),
});
export type AgreementPayResult = z.infer<typeof AgreementPayResult>;

/** dut_user_sign / dut_user_unsign: the platform tells the merchant an agreement began or ended. */
export const AgreementNotification = z.object({
  notifyId: z.string().min(1),
  notifyType: z.enum(['dut_user_sign', 'dut_user_unsign']),
  notifyTime: IsoInstant,
  appId: z.string().min(1).optional(),
  agreementNo: AgreementNo,
  externalAgreementNo: z.string().optional(),
  status: AgreementStatus,
  signedAt: IsoInstant.optional(),
  unsignedAt: IsoInstant.optional(),
});
export type AgreementNotification = z.infer<typeof AgreementNotification>;

export interface PaymentProvider {
  createQrOrder(input: CreateQrOrderInput): Promise<QrOrder>;
  payByBarcode(input: PayByBarcodeInput): Promise<BarcodePayResult>;
  query(outTradeNo: string): Promise<TradeQueryResult>;
  close(outTradeNo: string): Promise<CloseResult>;
  /** Cancels a face-to-face trade: closed if unpaid, refunded in full if paid (the same day). */
  cancel(outTradeNo: string): Promise<CancelResult>;
  refund(input: RefundInput): Promise<RefundResult>;
  queryRefund(input: RefundQueryInput): Promise<RefundQueryResult>;
  downloadBill(date: BillDate): Promise<BillRow[]>;
  /** Verifies the platform's signature, then parses. Throws DomainError(InvalidSignature). */
  verifyNotification(params: Record<string, string>): PaymentNotification;
  /** The signed page link where the user signs a withholding agreement (alipay.user.agreement.page.sign). */
  agreementSignPage(input: AgreementSignInput): Promise<AgreementSignPage>;
  queryAgreement(ref: AgreementRef): Promise<AgreementQueryResult>;
  /** Idempotent: unsigning an unsigned agreement answers `changed: false`. */
  unsignAgreement(ref: AgreementRef): Promise<AgreementUnsignResult>;
  /** Charges under a signed agreement, no user action; a refusal (no balance, unsigned) is PaymentDeclined. */
  payByAgreement(input: PayByAgreementInput): Promise<AgreementPayResult>;
  /** Verifies the platform's signature, then parses an agreement notification. */
  verifyAgreementNotification(params: Record<string, string>): AgreementNotification;
}
