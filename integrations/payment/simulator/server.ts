import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatMinor } from '../../../domain/money';
import { platformDate, toPlatformTime } from '../alipay/time';
import { AgreementBook, WITHHOLDING_PRODUCTS, type AgreementEvent, type SimAgreement } from './agreements';
import { BillMismatch, renderBillCsv } from './bill';
import { Fault, FaultBook, type FaultInput } from './faults';
import { gatewayHandler, type MethodHandler, type PageHandler } from './gateway';
import { Notifier, PLATFORM_RETRY_SCHEDULE_MS, type DeliveryAttempt } from './notifier';
import { TradeBook, type Answer, type SimTrade, type TradeEvent } from './trades';

export interface PaymentSimulatorOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  host?: string;
  appId?: string;
  /** The app's public key (PEM): request signatures are verified with it. */
  appPublicKey: string;
  /** The platform's private key (PEM): answers and notifications are signed with it. */
  platformPrivateKey: string;
  notify?: { retryScheduleMs?: readonly number[]; deliveryTimeoutMs?: number };
  faults?: FaultInput[];
  /** The platform's clock (trade times, bill days). Notification retries use real timers. */
  now?: () => Date;
  logger?: Logger;
}

export interface PaymentSimulator {
  url: string;
  gatewayUrl: string;
  appId: string;
  trades: TradeBook;
  faults: FaultBook;
  notifications: { readonly attempts: readonly DeliveryAttempt[]; idle(): Promise<void> };
  bill: { plant(m: z.input<typeof BillMismatch>): void; clear(): void };
  buyer: { scan(outTradeNo: string): SimTrade; pay(outTradeNo: string): SimTrade };
  agreements: AgreementBook;
  /** The user on the phone: confirms a sign page it was sent to, or ends an agreement in the app. */
  user: { signAgreement(externalAgreementNo: string, buyerId?: string): SimAgreement; unsignAgreement(agreementNo: string): SimAgreement };
  stop(): Promise<void>;
}

export const DEFAULT_SIM_APP_ID = '2021000000000001';
const SELLER_ID = '2088000000000001';
const BILL_URL_TTL_MS = 30_000; // the real download link lives about 30 seconds

export async function startPaymentSimulator(opts: PaymentSimulatorOptions): Promise<PaymentSimulator> {
  const now = opts.now ?? ((): Date => new Date());
  const appId = opts.appId ?? DEFAULT_SIM_APP_ID;
  const faults = new FaultBook();
  for (const f of opts.faults ?? []) faults.inject(f);
  const notifier = new Notifier({
    platformPrivateKeyPem: opts.platformPrivateKey,
    retryScheduleMs: opts.notify?.retryScheduleMs ?? PLATFORM_RETRY_SCHEDULE_MS,
    deliveryTimeoutMs: opts.notify?.deliveryTimeoutMs ?? 5_000,
    faults,
    logger: opts.logger,
  });
  let baseUrl = '';
  const trades = new TradeBook({ now, qrBase: () => baseUrl, onEvent: (e) => notify(e) });
  const agreements = new AgreementBook({ now, onEvent: (e) => notifyAgreement(e) });
  const mismatches: BillMismatch[] = [];
  const billLinks = new Map<string, { date: string; expires: number }>();
  const held = new Set<Response>();

  /** The `payBeforeClose` fault: the buyer of the order being closed pays first (if it can still be paid). */
  function payBeforeClose(biz: unknown): void {
    const ref = z.object({ out_trade_no: z.string() }).safeParse(biz);
    if (ref.success) trades.buyerPay(ref.data.out_trade_no);
  }

  /** Params are captured now, so a late or reordered delivery still says what was true then. */
  function notify({ trade, refund }: TradeEvent): void {
    if (!trade.notifyUrl) return;
    const amount = formatMinor(trade.totalMinor, 'CNY');
    const params: Record<string, string> = {
      notify_time: toPlatformTime(now()),
      notify_type: 'trade_status_sync',
      notify_id: randomBytes(16).toString('hex'),
      app_id: appId,
      charset: 'utf-8',
      version: '1.0',
      seller_id: SELLER_ID,
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      trade_status: trade.state,
      total_amount: amount,
      receipt_amount: amount,
      buyer_pay_amount: amount,
      subject: trade.subject,
      gmt_create: toPlatformTime(trade.createdAt),
    };
    if (trade.paidAt) params.gmt_payment = toPlatformTime(trade.paidAt);
    if (trade.closedAt) params.gmt_close = toPlatformTime(trade.closedAt);
    if (refund) {
      params.out_biz_no = refund.outRequestNo;
      params.refund_fee = formatMinor(trades.refunded(trade), 'CNY');
      params.gmt_refund = `${toPlatformTime(refund.at)}.${String(refund.at.getUTCMilliseconds()).padStart(3, '0')}`;
    }
    notifier.send(trade.notifyUrl, params);
  }

  /** dut_user_sign / dut_user_unsign to the notify_url the sign request named. */
  function notifyAgreement({ agreement: a, kind }: AgreementEvent): void {
    if (!a.notifyUrl) return;
    const params: Record<string, string> = {
      notify_time: toPlatformTime(now()),
      notify_type: kind === 'sign' ? 'dut_user_sign' : 'dut_user_unsign',
      notify_id: randomBytes(16).toString('hex'),
      app_id: appId,
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
  function agreementRefusal(agreementNo: string, productCode: string): Answer | undefined {
    if (!WITHHOLDING_PRODUCTS.has(productCode))
      return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.PRODUCT_AMOUNT_LIMIT_ERROR', sub_msg: 'not a withholding product' };
    const refusal = agreements.refusalFor(agreementNo);
    if (refusal) return refusal;
    const buyerId = agreements.get(agreementNo)?.buyerId ?? '';
    if (faults.takeForBuyer(buyerId))
      return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', sub_msg: 'buyer balance not enough' };
    return undefined;
  }

  function billUrl(biz: unknown): Answer {
    const b = z.object({ bill_type: z.literal('trade'), bill_date: z.iso.date() }).safeParse(biz);
    if (!b.success)
      return {
        code: '40004',
        msg: 'Business Failed',
        sub_code: 'isv.invalid-parameter',
        sub_msg: 'bill_type trade and bill_date yyyy-MM-dd required',
      };
    // Bills exist only for finished days (the platform publishes them the next morning).
    if (b.data.bill_date >= platformDate(now())) {
      return { code: '40004', msg: 'Business Failed', sub_code: 'isp.bill_not_exist', sub_msg: 'bill not generated yet' };
    }
    const token = randomBytes(16).toString('hex');
    billLinks.set(token, { date: b.data.bill_date, expires: Date.now() + BILL_URL_TTL_MS });
    return { code: '10000', msg: 'Success', bill_download_url: `${baseUrl}/sim/bills/${token}.csv` };
  }

  const handlers: Record<string, MethodHandler> = {
    'alipay.trade.precreate': (biz, common) => trades.precreate(biz, common.notify_url),
    'alipay.trade.pay': (biz, common) =>
      typeof biz === 'object' && biz !== null && 'agreement_params' in biz
        ? trades.payByAgreement(biz, common.notify_url, agreementRefusal)
        : trades.pay(biz, common.notify_url),
    'alipay.user.agreement.query': (biz) => agreements.query(biz),
    'alipay.user.agreement.unsign': (biz) => agreements.unsign(biz),
    'alipay.trade.query': (biz) => trades.query(biz),
    'alipay.trade.close': (biz) => {
      if (faults.take('payBeforeClose')) payBeforeClose(biz);
      return trades.close(biz);
    },
    'alipay.trade.refund': (biz) => trades.refund(biz),
    'alipay.trade.fastpay.refund.query': (biz) => trades.refundQuery(biz),
    'alipay.data.dataservice.bill.downloadurl.query': billUrl,
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
          confirmUrl: `${baseUrl}/sim/agreements/${opened.externalAgreementNo}/sign`,
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

  const buyer = {
    scan(outTradeNo: string): SimTrade {
      const r = trades.scan(outTradeNo);
      if (typeof r === 'string') throw new Error(`sim buyer scan: ${r}`);
      return r;
    },
    pay(outTradeNo: string): SimTrade {
      const r = trades.buyerPay(outTradeNo);
      if (typeof r === 'string') throw new Error(`sim buyer pay: ${r}`);
      return r;
    },
  };

  const app = express();
  app.disable('x-powered-by');
  const gateway = gatewayHandler({
    appId,
    appPublicKeyPem: opts.appPublicKey,
    platformPrivateKeyPem: opts.platformPrivateKey,
    handlers,
    pages,
    faults,
    held,
    logger: opts.logger,
  });
  app.post('/gateway.do', express.urlencoded({ extended: false }), gateway);
  // Page methods are links the user's phone opens (GET), signed like any request.
  app.get('/gateway.do', gateway);

  // Control endpoints: the buyer's phone and the drill operator. Not part of the platform.
  const view = (t: SimTrade): object => ({
    outTradeNo: t.outTradeNo,
    tradeNo: t.tradeNo,
    state: t.state,
    amountMinor: t.totalMinor,
    currency: 'CNY',
    refundedMinor: trades.refunded(t),
    paidAt: t.paidAt?.toISOString(),
  });
  const buyerAction =
    (action: 'scan' | 'pay') =>
    (req: Request<{ outTradeNo: string }>, res: Response): void => {
      const r = action === 'scan' ? trades.scan(req.params.outTradeNo) : trades.buyerPay(req.params.outTradeNo);
      if (typeof r === 'string') res.status(r.includes('not exist') ? 404 : 409).json({ error: r });
      else res.json(view(r));
    };
  app.post('/sim/trades/:outTradeNo/scan', buyerAction('scan'));
  app.post('/sim/trades/:outTradeNo/pay', buyerAction('pay'));
  app.get('/sim/trades/:outTradeNo', (req: Request<{ outTradeNo: string }>, res: Response) => {
    const t = trades.get(req.params.outTradeNo);
    if (t) res.json(view(t));
    else res.status(404).json({ error: 'trade does not exist' });
  });
  const agreementView = (a: SimAgreement): object => ({
    agreementNo: a.agreementNo,
    externalAgreementNo: a.externalAgreementNo,
    buyerId: a.buyerId,
    state: a.state,
    signedAt: a.signedAt.toISOString(),
  });
  app.post('/sim/agreements/:externalAgreementNo/sign', express.json(), (req: Request<{ externalAgreementNo: string }>, res: Response) => {
    const buyerId = z
      .object({
        buyerId: z
          .string()
          .regex(/^2088\d{12}$/)
          .optional(),
      })
      .safeParse(req.body ?? {});
    if (!buyerId.success) {
      res.status(400).json({ error: buyerId.error.issues });
      return;
    }
    const r = agreements.userSign(req.params.externalAgreementNo, buyerId.data.buyerId);
    if (typeof r === 'string') res.status(409).json({ error: r });
    else res.json(agreementView(r));
  });
  app.post('/sim/agreements/:agreementNo/unsign', (req: Request<{ agreementNo: string }>, res: Response) => {
    const r = agreements.userUnsign(req.params.agreementNo);
    if (typeof r === 'string') res.status(404).json({ error: r });
    else res.json(agreementView(r));
  });
  app.get('/sim/agreements/:externalAgreementNo', (req: Request<{ externalAgreementNo: string }>, res: Response) => {
    const a = agreements.byExternalNo(req.params.externalAgreementNo);
    if (a) res.json(agreementView(a));
    else res.status(404).json({ error: 'agreement does not exist' });
  });
  app.get('/sim/qr/:token', (req: Request<{ token: string }>, res: Response) => {
    const t = trades.byQrToken(req.params.token);
    if (t) res.json({ ...view(t), subject: t.subject });
    else res.status(404).json({ error: 'unknown QR code' });
  });
  app.post('/sim/faults', express.json(), (req: Request, res: Response) => {
    const f = Fault.safeParse(req.body);
    if (!f.success) res.status(400).json({ error: f.error.issues });
    else {
      faults.inject(f.data);
      res.status(204).end();
    }
  });
  app.delete('/sim/faults', (_req: Request, res: Response) => {
    faults.clear();
    res.status(204).end();
  });
  app.post('/sim/bills/mismatches', express.json(), (req: Request, res: Response) => {
    const m = BillMismatch.safeParse(req.body);
    if (!m.success) res.status(400).json({ error: m.error.issues });
    else {
      mismatches.push(m.data);
      res.status(204).end();
    }
  });
  app.get('/sim/bills/:file', (req: Request<{ file: string }>, res: Response) => {
    const link = billLinks.get(req.params.file.replace(/\.csv$/, ''));
    if (!link || link.expires < Date.now()) {
      res.status(404).type('text/plain').send('link expired');
      return;
    }
    const csv = renderBillCsv({ date: link.date, account: SELLER_ID, trades: trades.all(), mismatches, now: now() });
    res.type('text/csv; charset=utf-8').send(csv);
  });
  app.get('/sim/notifications', (_req: Request, res: Response) => {
    res.json(notifier.attempts);
  });

  const server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const bound: AddressInfo | string | null = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('payment simulator: no TCP address');
  const { address, port } = bound;
  baseUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  return {
    url: baseUrl,
    gatewayUrl: `${baseUrl}/gateway.do`,
    appId,
    trades,
    faults,
    notifications: { attempts: notifier.attempts, idle: () => notifier.idle() },
    bill: {
      plant: (m) => {
        mismatches.push(BillMismatch.parse(m));
      },
      clear: () => {
        mismatches.length = 0;
      },
    },
    buyer,
    agreements,
    user,
    async stop(): Promise<void> {
      notifier.stop();
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
