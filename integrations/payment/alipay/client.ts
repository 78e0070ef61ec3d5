import { AlipaySdk } from 'alipay-sdk';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DomainError, ErrorCode, isDomainError } from '../../../domain/errors';
import { CurrencyCode, formatMinor } from '../../../domain/money';
import {
  AgreementRef,
  AgreementSignInput,
  BillDate,
  CancelResult,
  CloseResult,
  PayByAgreementInput,
  CreateQrOrderInput,
  MerchantRef,
  PayByBarcodeInput,
  QrOrder,
  RefundInput,
  RefundQueryInput,
} from '../provider';
import type {
  AgreementNotification,
  AgreementPayResult,
  AgreementQueryResult,
  AgreementSignPage,
  AgreementUnsignResult,
  BarcodePayResult,
  BillRow,
  PaymentNotification,
  PaymentProvider,
  RefundQueryResult,
  RefundResult,
  TradeQueryResult,
} from '../provider';
import { AlipayAgreements, DEFAULT_WITHHOLDING } from './agreements';
import { decodeBill, parseBillCsv } from './bill';
import { fromSdkError, platformError } from './errors';
import { toBarcodePayResult, toPaymentNotification, toRefundQueryResult, toRefundResult, toTradeQueryResult } from './mapping';
import {
  AgreementNotificationForm,
  BillUrlAnswer,
  CancelAnswer,
  CloseAnswer,
  CommonAnswer,
  NotificationForm,
  PayAnswer,
  PrecreateAnswer,
  QueryAnswer,
  RefundAnswer,
  RefundQueryAnswer,
} from './responses';
import { toPlatformTime } from './time';

export const AlipayProviderOptions = z.object({
  appId: z.string().min(1),
  /** PEM, PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"). */
  appPrivateKeyPem: z.string().includes('PRIVATE KEY'),
  /** The platform's public key (PEM, SPKI) used to verify responses and notifications. */
  platformPublicKeyPem: z.string().includes('PUBLIC KEY'),
  /** Classic gateway, e.g. https://openapi.alipay.com/gateway.do or the simulator's. */
  gatewayUrl: z.url(),
  timeoutMs: z.number().int().positive().default(5000),
  /** The domestic platform settles in CNY only. */
  currency: CurrencyCode.default('CNY'),
  /** Withholding product codes the platform assigned to this merchant (agreement sign and pay). */
  withholding: z
    .object({ productCode: z.string().min(1), personalProductCode: z.string().min(1), signScene: z.string().min(1) })
    .default(DEFAULT_WITHHOLDING),
});
export type AlipayProviderOptions = z.input<typeof AlipayProviderOptions>;

/** The body a notification endpoint must answer with, exactly, or the platform retries. */
export const NOTIFICATION_ACK = 'success';

const NotificationParams = z.record(z.string(), z.string());

/** Caller mistakes become ValidationFailed (non-retryable) with the offending fields. */
function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new DomainError(ErrorCode.ValidationFailed, 'invalid payment request', {
    fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
  });
}

/**
 * PaymentProvider on the official alipay-sdk v4, classic `exec` gateway. The SDK signs every
 * request (RSA2, app private key), verifies every response signature (validateSign: true) and
 * verifies notification signatures (checkNotifySignV2); this class never does crypto itself.
 */
export class AlipayPaymentProvider implements PaymentProvider {
  private readonly sdk: AlipaySdk;
  private readonly opts: z.output<typeof AlipayProviderOptions>;
  private readonly agreements: AlipayAgreements;

  constructor(
    options: AlipayProviderOptions,
    private readonly logger?: Logger,
  ) {
    this.opts = AlipayProviderOptions.parse(options);
    this.sdk = new AlipaySdk({
      appId: this.opts.appId,
      privateKey: this.opts.appPrivateKeyPem,
      keyType: this.opts.appPrivateKeyPem.includes('RSA PRIVATE KEY') ? 'PKCS1' : 'PKCS8',
      alipayPublicKey: this.opts.platformPublicKeyPem,
      signType: 'RSA2',
      gateway: this.opts.gatewayUrl,
      timeout: this.opts.timeoutMs,
      // Keep the documented snake_case field names so the zod schemas read like the docs.
      camelcase: false,
    });
    this.agreements = new AlipayAgreements(
      {
        call: (method, biz, answer, opts) => this.call(method, biz, answer, opts),
        // The SDK signs the page request; the link carries everything (GET), so the app can open it.
        pageUrl: (method, bizContent, opts) =>
          this.sdk.pageExecute(method, 'GET', {
            bizContent,
            ...(opts.notifyUrl ? { notifyUrl: opts.notifyUrl } : {}),
            ...(opts.returnUrl ? { returnUrl: opts.returnUrl } : {}),
          }),
      },
      this.opts.withholding,
    );
  }

  agreementSignPage(raw: AgreementSignInput): Promise<AgreementSignPage> {
    return Promise.resolve(this.agreements.signPage(parseInput(AgreementSignInput, raw)));
  }

  queryAgreement(ref: AgreementRef): Promise<AgreementQueryResult> {
    return this.agreements.query(parseInput(AgreementRef, ref));
  }

  unsignAgreement(ref: AgreementRef): Promise<AgreementUnsignResult> {
    return this.agreements.unsign(parseInput(AgreementRef, ref));
  }

  payByAgreement(raw: PayByAgreementInput): Promise<AgreementPayResult> {
    const input = parseInput(PayByAgreementInput, raw);
    return this.agreements.pay(input, this.currency(input.currency));
  }

  verifyAgreementNotification(params: Record<string, string>): AgreementNotification {
    const form = this.verifiedForm(params);
    const parsed = AgreementNotificationForm.safeParse(form);
    if (!parsed.success) {
      throw new DomainError(ErrorCode.ValidationFailed, 'agreement notification malformed', {
        fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    // Agreement notifications may omit app_id; when present it must be ours.
    if (parsed.data.app_id !== undefined && parsed.data.app_id !== this.opts.appId) {
      throw new DomainError(ErrorCode.InvalidSignature, 'agreement notification addressed to another app');
    }
    return AlipayAgreements.toNotification(parsed.data);
  }

  async createQrOrder(raw: CreateQrOrderInput): Promise<QrOrder> {
    const input = parseInput(CreateQrOrderInput, raw);
    const currency = this.currency(input.currency);
    const expiry =
      input.expiresAt !== undefined
        ? { time_expire: toPlatformTime(input.expiresAt) }
        : { timeout_express: `${input.timeoutMinutes ?? 0}m` };
    const { body } = await this.call(
      'alipay.trade.precreate',
      {
        out_trade_no: input.outTradeNo,
        total_amount: formatMinor(input.amountMinor, currency),
        subject: input.subject,
        ...expiry,
      },
      PrecreateAnswer,
      { notifyUrl: input.notifyUrl },
    );
    return QrOrder.parse({ outTradeNo: body.out_trade_no, qrCode: body.qr_code });
  }

  async payByBarcode(raw: PayByBarcodeInput): Promise<BarcodePayResult> {
    const input = parseInput(PayByBarcodeInput, raw);
    const currency = this.currency(input.currency);
    const { code, body } = await this.call(
      'alipay.trade.pay',
      {
        out_trade_no: input.outTradeNo,
        scene: 'bar_code',
        auth_code: input.authCode,
        product_code: 'FACE_TO_FACE_PAYMENT',
        total_amount: formatMinor(input.amountMinor, currency),
        subject: input.subject,
      },
      PayAnswer,
      { notifyUrl: input.notifyUrl, okCodes: ['10000', '10003'] },
    );
    return toBarcodePayResult(code, body, currency);
  }

  async query(outTradeNo: string): Promise<TradeQueryResult> {
    const ref = parseInput(MerchantRef, outTradeNo);
    try {
      const { body } = await this.call('alipay.trade.query', { out_trade_no: ref }, QueryAnswer);
      return toTradeQueryResult(body, this.opts.currency);
    } catch (err) {
      if (isDomainError(err) && err.code === ErrorCode.NotFound) return { status: 'NOT_FOUND', outTradeNo: ref };
      throw err;
    }
  }

  async close(outTradeNo: string): Promise<CloseResult> {
    const ref = parseInput(MerchantRef, outTradeNo);
    try {
      const { body } = await this.call('alipay.trade.close', { out_trade_no: ref }, CloseAnswer);
      return CloseResult.parse({ outTradeNo: ref, status: 'CLOSED', ...(body.trade_no ? { tradeNo: body.trade_no } : {}) });
    } catch (err) {
      if (isDomainError(err) && err.code === ErrorCode.NotFound) return { outTradeNo: ref, status: 'NOT_FOUND' };
      throw err;
    }
  }

  async cancel(outTradeNo: string): Promise<CancelResult> {
    const ref = parseInput(MerchantRef, outTradeNo);
    const { body } = await this.call('alipay.trade.cancel', { out_trade_no: ref }, CancelAnswer);
    const action = body.action === 'close' || body.action === 'refund' ? body.action : 'none';
    return CancelResult.parse({ outTradeNo: ref, action, retry: body.retry_flag === 'Y' });
  }

  async refund(raw: RefundInput): Promise<RefundResult> {
    const input = parseInput(RefundInput, raw);
    const currency = this.currency(input.currency);
    const { body } = await this.call(
      'alipay.trade.refund',
      {
        out_trade_no: input.outTradeNo,
        out_request_no: input.outRequestNo,
        refund_amount: formatMinor(input.refundMinor, currency),
        ...(input.reason ? { refund_reason: input.reason } : {}),
      },
      RefundAnswer,
    );
    return toRefundResult(body, input.outRequestNo, currency);
  }

  async queryRefund(raw: RefundQueryInput): Promise<RefundQueryResult> {
    const ids = parseInput(RefundQueryInput, raw);
    try {
      const { body } = await this.call(
        'alipay.trade.fastpay.refund.query',
        {
          out_trade_no: ids.outTradeNo,
          out_request_no: ids.outRequestNo,
          // The refund time is only returned when asked for.
          query_options: ['gmt_refund_pay'],
        },
        RefundQueryAnswer,
      );
      return toRefundQueryResult(body, ids, this.opts.currency);
    } catch (err) {
      if (isDomainError(err) && err.code === ErrorCode.NotFound) return { status: 'NOT_FOUND', ...ids };
      throw err;
    }
  }

  async downloadBill(date: BillDate): Promise<BillRow[]> {
    const billDate = parseInput(BillDate, date);
    const { body } = await this.call(
      'alipay.data.dataservice.bill.downloadurl.query',
      {
        bill_type: 'trade',
        bill_date: billDate,
      },
      BillUrlAnswer,
    );
    // The download URL is itself the credential (short-lived, signed by the platform), so a
    // plain GET is how it is meant to be fetched.
    let bytes: Buffer;
    try {
      const res = await fetch(body.bill_download_url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      throw new DomainError(ErrorCode.CounterpartUnavailable, `bill download failed: ${err instanceof Error ? err.message : 'unknown'}`);
    }
    const rows = parseBillCsv(decodeBill(bytes), this.opts.currency);
    this.logger?.info({ billDate, rows: rows.length }, 'payment bill downloaded');
    return rows;
  }

  verifyNotification(params: Record<string, string>): PaymentNotification {
    const form = this.verifiedForm(params);
    if (form.app_id !== this.opts.appId) {
      throw new DomainError(ErrorCode.InvalidSignature, 'payment notification addressed to another app');
    }
    const parsed = NotificationForm.safeParse(form);
    if (!parsed.success) {
      throw new DomainError(ErrorCode.ValidationFailed, 'payment notification malformed', {
        fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    return toPaymentNotification(parsed.data, this.opts.currency);
  }

  /** The platform's signature over a notification form, checked by the SDK; throws InvalidSignature. */
  private verifiedForm(params: Record<string, string>): Record<string, string> {
    const form = parseInput(NotificationParams, params);
    // V2 verifies the values as received (already form-decoded); V1 would URL-decode them again
    // and break on any literal '%'.
    let signed: boolean;
    try {
      signed = this.sdk.checkNotifySignV2(form);
    } catch {
      // The SDK throws on what it cannot verify (an unknown sign_type): unverifiable is unsigned.
      signed = false;
    }
    if (!signed) {
      this.logger?.warn({ notifyId: form.notify_id }, 'payment notification with bad signature rejected');
      throw new DomainError(ErrorCode.InvalidSignature, 'payment notification signature invalid');
    }
    return form;
  }

  private currency(currency: string): string {
    if (currency !== this.opts.currency) {
      throw new DomainError(ErrorCode.ValidationFailed, `payment platform settles in ${this.opts.currency} only`, {
        fields: [{ field: 'currency', message: `expected ${this.opts.currency}` }],
      });
    }
    return currency;
  }

  /** One signed gateway call: SDK signs and verifies; we classify the answer and parse it. */
  private async call<S extends z.ZodType>(
    method: string,
    bizContent: Record<string, unknown>,
    answer: S,
    opts: { notifyUrl?: string | undefined; okCodes?: string[] } = {},
  ): Promise<{ code: string; body: z.output<S> }> {
    const started = Date.now();
    let raw: unknown;
    try {
      raw = await this.sdk.exec(method, { bizContent, ...(opts.notifyUrl ? { notifyUrl: opts.notifyUrl } : {}) }, { validateSign: true });
    } catch (err) {
      const mapped = fromSdkError(method, err);
      this.logger?.warn(
        { method, ms: Date.now() - started, code: isDomainError(mapped) ? mapped.code : 'unknown' },
        'payment platform call failed',
      );
      throw mapped;
    }
    const common = CommonAnswer.safeParse(raw);
    if (!common.success) throw new DomainError(ErrorCode.CounterpartUnavailable, `${method}: answer without code`);
    const { code, sub_code: subCode } = common.data;
    this.logger?.debug({ method, code, subCode, ms: Date.now() - started }, 'payment platform answered');
    if (!(opts.okCodes ?? ['10000']).includes(code)) throw platformError(method, common.data);
    const body = answer.safeParse(raw);
    if (!body.success) {
      throw new DomainError(ErrorCode.CounterpartUnavailable, `${method}: unexpected answer shape`, {
        fields: body.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    return { code, body: body.data };
  }
}

export function createAlipayProvider(options: AlipayProviderOptions, logger?: Logger): PaymentProvider {
  return new AlipayPaymentProvider(options, logger);
}
