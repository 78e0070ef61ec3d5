import { randomBytes } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { toPlatformTime } from '../alipay/time';
import { AgreementBook, WITHHOLDING_PRODUCTS, type AgreementEvent, type SimAgreement } from './agreements';
import type { FaultBook } from './faults';
import type { MethodHandler, PageHandler } from './gateway';
import type { Notifier } from './notifier';
import type { Answer } from './trades';

/**
 * The simulator's withholding side, wired: the agreement book, its gateway methods and sign page,
 * its notifications, the check before a charge by agreement, and the user's control endpoints.
 */
export function agreementSide(deps: { appId: string; now: () => Date; faults: FaultBook; notifier: Notifier; baseUrl: () => string }) {
  const { now, faults, notifier } = deps;
  const agreements = new AgreementBook({ now, onEvent: (e) => notify(e) });

  /** dut_user_sign / dut_user_unsign to the notify_url the sign request named. */
  function notify({ agreement: a, kind }: AgreementEvent): void {
    if (!a.notifyUrl) return;
    const params: Record<string, string> = {
      notify_time: toPlatformTime(now()),
      notify_type: kind === 'sign' ? 'dut_user_sign' : 'dut_user_unsign',
      notify_id: randomBytes(16).toString('hex'),
      app_id: deps.appId,
      charset: 'utf-8',
      version: '1.0',
      agreement_no: a.agreementNo,
      external_agreement_no: a.externalAgreementNo,
      personal_product_code: a.personalProductCode,
      sign_scene: a.signScene,
      alipay_user_id: a.buyerId,
      status: a.state,
      sign_time: toPlatformTime(a.signedAt),
      valid_time: toPlatformTime(a.signedAt),
      invalid_time: toPlatformTime(a.invalidAt),
    };
    if (a.unsignedAt) params.unsign_time = toPlatformTime(a.unsignedAt);
    notifier.send(a.notifyUrl, params);
  }

  /** A charge by agreement: the agreement must be in force and the buyer must have the money. */
  function refusal(agreementNo: string, productCode: string): Answer | undefined {
    if (!WITHHOLDING_PRODUCTS.has(productCode))
      return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.PRODUCT_AMOUNT_LIMIT_ERROR', sub_msg: 'not a withholding product' };
    const refused = agreements.refusalFor(agreementNo);
    if (refused) return refused;
    const buyerId = agreements.get(agreementNo)?.buyerId ?? '';
    if (faults.takeForBuyer(buyerId))
      return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', sub_msg: 'buyer balance not enough' };
    return undefined;
  }

  const handlers: Record<string, MethodHandler> = {
    'alipay.user.agreement.query': (biz) => agreements.query(biz),
    'alipay.user.agreement.unsign': (biz) => agreements.unsign(biz),
  };

  const pages: Record<string, PageHandler> = {
    'alipay.user.agreement.page.sign': (biz, common) => {
      const opened = agreements.openSignPage(biz, common.notify_url);
      if (!opened.ok) return { status: 400, page: { error: opened.error } };
      return {
        status: 200,
        page: {
          page: 'agreement-sign',
          externalAgreementNo: opened.externalAgreementNo,
          signed: opened.signed,
          confirmUrl: `${deps.baseUrl()}/sim/agreements/${opened.externalAgreementNo}/sign`,
        },
      };
    },
  };

  const user = {
    signAgreement(externalAgreementNo: string, buyerId?: string): SimAgreement {
      const r = agreements.userSign(externalAgreementNo, buyerId);
      if (typeof r === 'string') throw new Error(`sim user sign: ${r}`);
      return r;
    },
    unsignAgreement(agreementNo: string): SimAgreement {
      const r = agreements.userUnsign(agreementNo);
      if (typeof r === 'string') throw new Error(`sim user unsign: ${r}`);
      return r;
    },
  };

  /** Control endpoints: the user's phone. Not part of the platform. */
  function routes(app: Express): void {
    const view = (a: SimAgreement): object => ({
      agreementNo: a.agreementNo,
      externalAgreementNo: a.externalAgreementNo,
      buyerId: a.buyerId,
      state: a.state,
      signedAt: a.signedAt.toISOString(),
    });
    app.post(
      '/sim/agreements/:externalAgreementNo/sign',
      express.json(),
      (req: Request<{ externalAgreementNo: string }>, res: Response) => {
        const body = z
          .object({
            buyerId: z
              .string()
              .regex(/^2088\d{12}$/)
              .optional(),
          })
          .safeParse(req.body ?? {});
        if (!body.success) {
          res.status(400).json({ error: body.error.issues });
          return;
        }
        const r = agreements.userSign(req.params.externalAgreementNo, body.data.buyerId);
        if (typeof r === 'string') res.status(409).json({ error: r });
        else res.json(view(r));
      },
    );
    app.post('/sim/agreements/:agreementNo/unsign', (req: Request<{ agreementNo: string }>, res: Response) => {
      const r = agreements.userUnsign(req.params.agreementNo);
      if (typeof r === 'string') res.status(404).json({ error: r });
      else res.json(view(r));
    });
    app.get('/sim/agreements/:externalAgreementNo', (req: Request<{ externalAgreementNo: string }>, res: Response) => {
      const a = agreements.byExternalNo(req.params.externalAgreementNo);
      if (a) res.json(view(a));
      else res.status(404).json({ error: 'agreement does not exist' });
    });
  }

  return { agreements, handlers, pages, user, refusal, routes };
}
