import type { z } from 'zod';
import { DomainError, ErrorCode, isDomainError } from '../../../domain/errors';
import { formatMinor, parseMajor } from '../../../domain/money';
import {
  AgreementNotification,
  AgreementPayResult,
  AgreementQueryResult,
  AgreementSignPage,
  type AgreementRef,
  type AgreementSignInput,
  type AgreementUnsignResult,
  type PayByAgreementInput,
} from '../provider';
import { AgreementPayAnswer, AgreementQueryAnswer, CommonAnswer, type AgreementNotificationForm } from './responses';
import { parsePlatformTime } from './time';

/**
 * Withholding agreements on the classic gateway: the sign page (alipay.user.agreement.page.sign,
 * a signed GET link the user opens), query, unsign, and alipay.trade.pay with
 * `agreement_params.agreement_no` under the withholding product code. The codes are the ones the
 * platform assigns when the merchant's withholding product is approved; the defaults are the
 * general withholding product's.
 */
export interface WithholdingCodes {
  /** Merchant product code on alipay.trade.pay (GENERAL_WITHHOLDING). */
  productCode: string;
  /** The user's side of the product (GENERAL_WITHHOLDING_P). */
  personalProductCode: string;
  /** The scene agreed with the platform, e.g. INDUSTRY|TRANSPORT. */
  signScene: string;
}

export const DEFAULT_WITHHOLDING: WithholdingCodes = {
  productCode: 'GENERAL_WITHHOLDING',
  personalProductCode: 'GENERAL_WITHHOLDING_P',
  signScene: 'INDUSTRY|TRANSPORT',
};

/** What the agreement calls need from the adapter: one verified gateway call, one signed page link. */
export interface AgreementGateway {
  call<S extends z.ZodType>(
    method: string,
    biz: Record<string, unknown>,
    answer: S,
    opts?: { notifyUrl?: string | undefined },
  ): Promise<{ code: string; body: z.output<S> }>;
  pageUrl(method: string, biz: Record<string, unknown>, opts: { notifyUrl?: string | undefined; returnUrl?: string | undefined }): string;
}

function time(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const iso = parsePlatformTime(text);
  if (!iso) throw new DomainError(ErrorCode.CounterpartUnavailable, 'unreadable platform time in an agreement answer');
  return iso;
}

const optional = <V>(key: string, value: V | undefined): Record<string, V> => (value === undefined ? {} : { [key]: value });

export class AlipayAgreements {
  constructor(
    private readonly gateway: AgreementGateway,
    private readonly codes: WithholdingCodes,
  ) {}

  signPage(input: AgreementSignInput): AgreementSignPage {
    const signUrl = this.gateway.pageUrl(
      'alipay.user.agreement.page.sign',
      {
        personal_product_code: this.codes.personalProductCode,
        sign_scene: this.codes.signScene,
        external_agreement_no: input.externalAgreementNo,
        external_logon_id: input.externalLogonId,
        access_params: { channel: 'ALIPAYAPP' },
      },
      { notifyUrl: input.notifyUrl, returnUrl: input.returnUrl },
    );
    return AgreementSignPage.parse({ externalAgreementNo: input.externalAgreementNo, signUrl });
  }

  async query(ref: AgreementRef): Promise<AgreementQueryResult> {
    try {
      const { body } = await this.gateway.call('alipay.user.agreement.query', this.refBiz(ref), AgreementQueryAnswer);
      return AgreementQueryResult.parse({
        status: body.status,
        agreementNo: body.agreement_no,
        ...optional('externalAgreementNo', body.external_agreement_no),
        ...optional('signedAt', time(body.sign_time)),
        ...optional('validUntil', time(body.invalid_time)),
      });
    } catch (err) {
      if (isDomainError(err) && err.code === ErrorCode.NotFound) return { status: 'NOT_FOUND' };
      throw err;
    }
  }

  async unsign(ref: AgreementRef): Promise<AgreementUnsignResult> {
    try {
      await this.gateway.call('alipay.user.agreement.unsign', this.refBiz(ref), CommonAnswer);
      return { changed: true };
    } catch (err) {
      // Already unsigned (by the user in the platform's app, or by an earlier attempt): the goal holds.
      if (isDomainError(err) && err.code === ErrorCode.NotFound) return { changed: false };
      throw err;
    }
  }

  async pay(input: PayByAgreementInput, currency: string): Promise<AgreementPayResult> {
    const { body } = await this.gateway.call(
      'alipay.trade.pay',
      {
        out_trade_no: input.outTradeNo,
        product_code: this.codes.productCode,
        total_amount: formatMinor(input.amountMinor, currency),
        subject: input.subject,
        agreement_params: { agreement_no: input.agreementNo },
      },
      AgreementPayAnswer,
      { notifyUrl: input.notifyUrl },
    );
    return AgreementPayResult.parse({
      outTradeNo: body.out_trade_no,
      tradeNo: body.trade_no,
      status: 'TRADE_SUCCESS',
      amountMinor: parseMajor(body.total_amount, currency),
      currency,
      ...optional('paidAt', time(body.gmt_payment)),
    });
  }

  static toNotification(form: AgreementNotificationForm): AgreementNotification {
    const notifyTime = time(form.notify_time);
    return AgreementNotification.parse({
      notifyId: form.notify_id,
      notifyType: form.notify_type,
      notifyTime,
      ...optional('appId', form.app_id),
      agreementNo: form.agreement_no,
      ...optional('externalAgreementNo', form.external_agreement_no),
      status: form.status,
      ...optional('signedAt', time(form.sign_time)),
      ...optional('unsignedAt', time(form.unsign_time)),
    });
  }

  /** By the platform's number, or by ours within this product and scene. */
  private refBiz(ref: AgreementRef): Record<string, unknown> {
    if ('agreementNo' in ref) return { agreement_no: ref.agreementNo, personal_product_code: this.codes.personalProductCode };
    return {
      external_agreement_no: ref.externalAgreementNo,
      personal_product_code: this.codes.personalProductCode,
      sign_scene: this.codes.signScene,
    };
  }
}
