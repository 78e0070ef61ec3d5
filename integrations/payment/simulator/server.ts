import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatMinor } from '../../../domain/money';
import { platformDate, toPlatformTime } from '../alipay/time';
import type { AgreementBook, SimAgreement } from './agreements';
import { agreementSide } from './agreementSide';
import { BillMismatch, renderBillCsv } from './bill';
import { Fault, FaultBook, type FaultInput } from './faults';
import { gatewayHandler, type MethodHandler } from './gateway';
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
  const withholding = agreementSide({ appId, now, faults, notifier, baseUrl: () => baseUrl });
  const { agreements } = withholding;
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
        ? trades.payByAgreement(biz, common.notify_url, withholding.refusal)
        : trades.pay(biz, common.notify_url),
    ...withholding.handlers,
    'alipay.trade.query': (biz) => trades.query(biz),
    'alipay.trade.close': (biz) => {
      if (faults.take('payBeforeClose')) payBeforeClose(biz);
      return trades.close(biz);
    },
    'alipay.trade.cancel': (biz) => {
      if (faults.take('payBeforeCancel')) payBeforeClose(biz);
      return trades.cancel(biz);
    },
    'alipay.trade.refund': (biz) => trades.refund(biz),
    'alipay.trade.fastpay.refund.query': (biz) => trades.refundQuery(biz),
    'alipay.data.dataservice.bill.downloadurl.query': billUrl,
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
    pages: withholding.pages,
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
  withholding.routes(app);
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
    user: withholding.user,
    async stop(): Promise<void> {
      notifier.stop();
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
