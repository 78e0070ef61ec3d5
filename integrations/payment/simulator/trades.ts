import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { formatMinor, parseMajor } from '../../../domain/money';
import { parsePlatformTime, platformDate, toPlatformTime } from '../alipay/time';

/**
 * The platform's trade rules, in memory. Answers are the inner `<method>_response` objects; the
 * server signs them. Behaviour follows the open-platform docs where they are explicit, e.g.:
 * a precreated (QR) order is not a trade until the buyer scans it, so query/close answer
 * ACQ.TRADE_NOT_EXIST until then; refunds are idempotent on out_request_no (fund_change N).
 */
const CURRENCY = 'CNY';
const MAX_MINOR = 100_000_000_00;

export type TradeState = 'PRECREATED' | 'EXPIRED' | 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED';

export interface SimRefund {
  outRequestNo: string;
  amountMinor: number;
  reason?: string | undefined;
  at: Date;
}

export interface SimTrade {
  outTradeNo: string;
  tradeNo: string;
  totalMinor: number;
  subject: string;
  notifyUrl?: string | undefined;
  state: TradeState;
  qrToken?: string;
  createdAt: Date;
  expiresAt?: Date | undefined;
  paidAt?: Date;
  closedAt?: Date;
  refunds: SimRefund[];
  /** alipay.trade.pay: what the till sent (payment code and amount), so a retry with the same is answered, not refused. */
  payKey?: string;
  /** Set when alipay.trade.cancel ended it: what it did. */
  cancelled?: 'close' | 'refund';
}

/** Something the platform tells the merchant about asynchronously. */
export interface TradeEvent {
  trade: SimTrade;
  refund?: SimRefund;
}

export type Answer = Record<string, string>;

const ok = (fields: Answer = {}): Answer => ({ code: '10000', msg: 'Success', ...fields });
const refused = (subCode: string, subMsg: string): Answer => ({
  code: '40004',
  msg: 'Business Failed',
  sub_code: subCode,
  sub_msg: subMsg,
});
const badParam = (subMsg: string): Answer => refused('ACQ.INVALID_PARAMETER', subMsg);

const Amount = z.string().regex(/^\d+(\.\d{1,2})?$/);
const Ref = z.string().min(1).max(64);
const TradeRef = z.object({ out_trade_no: Ref.optional(), trade_no: Ref.optional() });
const PrecreateBiz = z.object({
  out_trade_no: Ref,
  total_amount: Amount,
  subject: z.string().min(1).max(256),
  time_expire: z.string().optional(),
  timeout_express: z
    .string()
    .regex(/^\d+[mhd]$/)
    .optional(),
});
const PayBiz = z.object({
  out_trade_no: Ref,
  total_amount: Amount,
  subject: z.string().min(1).max(256),
  scene: z.enum(['bar_code', 'security_code']),
  auth_code: z.string().min(1),
});
const AgreementPayBiz = z.object({
  out_trade_no: Ref,
  total_amount: Amount,
  subject: z.string().min(1).max(256),
  product_code: z.string().min(1),
  agreement_params: z.object({ agreement_no: Ref }),
});
const RefundBiz = TradeRef.extend({ refund_amount: Amount, out_request_no: Ref.optional(), refund_reason: z.string().max(256).optional() });
const RefundQueryBiz = TradeRef.extend({ out_request_no: Ref, query_options: z.array(z.string()).optional() });

/** Payment codes: 25-30 prefix, 16-24 digits. Suffix 0000 waits for the buyer; 9999 has no money. */
export const SIM_AUTH_CODES = {
  success: '286000000000001234',
  waitForBuyer: '286000000000000000',
  insufficientFunds: '286000000000009999',
} as const;
const AUTH_CODE = /^(2[5-9]|30)\d{14,22}$/;

export class TradeBook {
  private readonly trades = new Map<string, SimTrade>();
  private readonly byQr = new Map<string, string>();

  constructor(private readonly deps: { now: () => Date; qrBase: () => string; onEvent: (e: TradeEvent) => void }) {}

  get(outTradeNo: string): SimTrade | undefined {
    const t = this.trades.get(outTradeNo);
    if (t) this.expire(t);
    return t;
  }

  byQrToken(token: string): SimTrade | undefined {
    const ref = this.byQr.get(token);
    return ref === undefined ? undefined : this.get(ref);
  }

  all(): SimTrade[] {
    const trades = [...this.trades.values()];
    for (const t of trades) this.expire(t);
    return trades;
  }

  precreate(raw: unknown, notifyUrl?: string): Answer {
    const biz = PrecreateBiz.safeParse(raw);
    if (!biz.success) return badParam(`invalid biz_content: ${biz.error.issues[0]?.path.join('.') ?? ''}`);
    const b = biz.data;
    const amount = this.amount(b.total_amount);
    if (amount === undefined) return badParam('total_amount out of range');
    const expiresAt = this.expiry(b.time_expire, b.timeout_express);
    if (expiresAt === null) return badParam('bad time_expire or timeout_express');
    const existing = this.get(b.out_trade_no);
    if (existing) {
      if (existing.state === 'TRADE_SUCCESS' || existing.state === 'TRADE_FINISHED')
        return refused('ACQ.TRADE_HAS_SUCCESS', 'trade already paid');
      if (existing.state === 'TRADE_CLOSED') return refused('ACQ.TRADE_HAS_CLOSE', 'trade closed');
      if (existing.totalMinor !== amount || !existing.qrToken) return refused('ACQ.CONTEXT_INCONSISTENT', 'trade details differ');
      return ok({ out_trade_no: existing.outTradeNo, qr_code: this.qrCode(existing.qrToken) });
    }
    const qrToken = randomBytes(12).toString('hex');
    const trade: SimTrade = {
      outTradeNo: b.out_trade_no,
      tradeNo: this.newTradeNo(),
      totalMinor: amount,
      subject: b.subject,
      notifyUrl,
      state: 'PRECREATED',
      qrToken,
      createdAt: this.deps.now(),
      expiresAt,
      refunds: [],
    };
    this.trades.set(trade.outTradeNo, trade);
    this.byQr.set(qrToken, trade.outTradeNo);
    return ok({ out_trade_no: trade.outTradeNo, qr_code: this.qrCode(qrToken) });
  }

  pay(raw: unknown, notifyUrl?: string): Answer {
    const biz = PayBiz.safeParse(raw);
    if (!biz.success) return badParam(`invalid biz_content: ${biz.error.issues[0]?.path.join('.') ?? ''}`);
    const b = biz.data;
    const amount = this.amount(b.total_amount);
    if (amount === undefined) return badParam('total_amount out of range');
    // The same order number with the same code and amount is the till retrying: answer what is
    // true now. Anything else under a known order number is refused, never charged again.
    const payKey = `${b.auth_code}:${amount}`;
    const existing = this.get(b.out_trade_no);
    if (existing?.payKey === payKey) return this.payRetryAnswer(existing);
    const repeat = this.repeatRefusal(b.out_trade_no);
    if (repeat) return repeat;
    if (!AUTH_CODE.test(b.auth_code)) return refused('ACQ.PAYMENT_AUTH_CODE_INVALID', 'payment code invalid');
    if (b.auth_code.endsWith('9999')) return refused('ACQ.BUYER_BALANCE_NOT_ENOUGH', 'buyer balance not enough');
    const trade = this.openTrade(b.out_trade_no, amount, b.subject, notifyUrl);
    trade.payKey = payKey;
    if (b.auth_code.endsWith('0000')) return this.userPayingAnswer(trade);
    this.markPaid(trade);
    return this.paidAnswer(trade);
  }

  private userPayingAnswer(trade: SimTrade): Answer {
    return {
      code: '10003',
      msg: 'order success pay inprocess',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      total_amount: formatMinor(trade.totalMinor, CURRENCY),
    };
  }

  private payRetryAnswer(trade: SimTrade): Answer {
    if (trade.state === 'TRADE_SUCCESS' || trade.state === 'TRADE_FINISHED') return this.paidAnswer(trade);
    if (trade.state === 'WAIT_BUYER_PAY') return this.userPayingAnswer(trade);
    return refused('ACQ.TRADE_HAS_CLOSE', 'trade closed');
  }

  /**
   * alipay.trade.cancel: closes an unpaid trade, refunds a paid one in full (the platform allows it
   * the same day; the simulator does not check the day). An order number never seen is recorded as
   * cancelled, so a payment arriving after the cancel (with that order number) is refused.
   */
  cancel(raw: unknown): Answer {
    const ref = z.object({ out_trade_no: z.string().min(1).max(64) }).safeParse(raw);
    if (!ref.success) return badParam('out_trade_no required');
    const outTradeNo = ref.data.out_trade_no;
    const trade = this.get(outTradeNo);
    const answer = (action: '' | 'close' | 'refund', t?: SimTrade): Answer =>
      ok({ out_trade_no: outTradeNo, retry_flag: 'N', action, ...(t ? { trade_no: t.tradeNo } : {}) });
    if (!trade) {
      const closed = this.openTrade(outTradeNo, 1, 'cancelled before it was created', undefined);
      closed.state = 'TRADE_CLOSED';
      closed.closedAt = this.deps.now();
      closed.cancelled = 'close';
      return answer('close');
    }
    if (trade.cancelled) return answer(trade.cancelled, trade);
    if (trade.state === 'TRADE_FINISHED') return refused('ACQ.TRADE_STATUS_ERROR', 'trade finished, cannot cancel');
    if (trade.state === 'TRADE_CLOSED') return answer('', trade);
    if (trade.state === 'TRADE_SUCCESS') {
      const left = trade.totalMinor - this.refunded(trade);
      const refund: SimRefund = { outRequestNo: `cancel-${trade.outTradeNo}`, amountMinor: left, reason: 'cancel', at: this.deps.now() };
      if (left > 0) trade.refunds.push(refund);
      trade.state = 'TRADE_CLOSED';
      trade.closedAt = refund.at;
      trade.cancelled = 'refund';
      if (left > 0) this.deps.onEvent({ trade, refund });
      return answer('refund', trade);
    }
    trade.state = 'TRADE_CLOSED';
    trade.closedAt = this.deps.now();
    trade.cancelled = 'close';
    this.deps.onEvent({ trade });
    return answer('close', trade);
  }

  /**
   * A charge under a withholding agreement: no user on the line, so it settles at once or is
   * refused (`refusal` says why: unsigned agreement, no balance). A refused charge leaves no trade,
   * so the same order number can be charged again later.
   */
  payByAgreement(
    raw: unknown,
    notifyUrl: string | undefined,
    refusal: (agreementNo: string, productCode: string) => Answer | undefined,
  ): Answer {
    const biz = AgreementPayBiz.safeParse(raw);
    if (!biz.success) return badParam(`invalid biz_content: ${biz.error.issues[0]?.path.join('.') ?? ''}`);
    const b = biz.data;
    const amount = this.amount(b.total_amount);
    if (amount === undefined) return badParam('total_amount out of range');
    const repeat = this.repeatRefusal(b.out_trade_no);
    if (repeat) return repeat;
    const refusedBecause = refusal(b.agreement_params.agreement_no, b.product_code);
    if (refusedBecause) return refusedBecause;
    const trade = this.openTrade(b.out_trade_no, amount, b.subject, notifyUrl);
    this.markPaid(trade);
    return this.paidAnswer(trade);
  }

  /** alipay.trade.pay names a new trade: a known order number is refused, never charged again. */
  private repeatRefusal(outTradeNo: string): Answer | undefined {
    const existing = this.get(outTradeNo);
    if (existing?.state === 'TRADE_SUCCESS' || existing?.state === 'TRADE_FINISHED')
      return refused('ACQ.TRADE_HAS_SUCCESS', 'trade already paid');
    if (existing?.state === 'TRADE_CLOSED') return refused('ACQ.TRADE_HAS_CLOSE', 'trade closed');
    if (existing) return refused('ACQ.CONTEXT_INCONSISTENT', 'trade details differ');
    return undefined;
  }

  private openTrade(outTradeNo: string, amount: number, subject: string, notifyUrl: string | undefined): SimTrade {
    const trade: SimTrade = {
      outTradeNo,
      tradeNo: this.newTradeNo(),
      totalMinor: amount,
      subject,
      notifyUrl,
      state: 'WAIT_BUYER_PAY',
      createdAt: this.deps.now(),
      refunds: [],
    };
    this.trades.set(trade.outTradeNo, trade);
    return trade;
  }

  private paidAnswer(trade: SimTrade): Answer {
    const total = formatMinor(trade.totalMinor, CURRENCY);
    return ok({
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      total_amount: total,
      receipt_amount: total,
      gmt_payment: toPlatformTime(trade.paidAt ?? this.deps.now()),
    });
  }

  query(raw: unknown): Answer {
    const trade = this.find(raw);
    if (!trade) return refused('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    return ok({
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      trade_status: trade.state,
      total_amount: formatMinor(trade.totalMinor, CURRENCY),
      buyer_logon_id: '159****0000',
      ...(trade.paidAt ? { send_pay_date: toPlatformTime(trade.paidAt) } : {}),
    });
  }

  close(raw: unknown): Answer {
    const trade = this.find(raw);
    if (!trade) return refused('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    if (trade.state === 'TRADE_SUCCESS' || trade.state === 'TRADE_FINISHED')
      return refused('ACQ.TRADE_STATUS_ERROR', 'trade paid, refund instead');
    if (trade.state === 'WAIT_BUYER_PAY') {
      trade.state = 'TRADE_CLOSED';
      trade.closedAt = this.deps.now();
      this.deps.onEvent({ trade });
    }
    return ok({ trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo });
  }

  refund(raw: unknown): Answer {
    const biz = RefundBiz.safeParse(raw);
    if (!biz.success) return badParam('invalid biz_content');
    const trade = this.find(biz.data);
    if (!trade) return refused('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    // Without out_request_no the platform treats the request as a full-refund of the order number.
    const outRequestNo = biz.data.out_request_no ?? trade.outTradeNo;
    const answer = (fundChange: 'Y' | 'N', at: Date): Answer =>
      ok({
        trade_no: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        buyer_logon_id: '159****0000',
        fund_change: fundChange,
        refund_fee: formatMinor(this.refunded(trade), CURRENCY),
        gmt_refund_pay: toPlatformTime(at),
      });
    const seen = trade.refunds.find((r) => r.outRequestNo === outRequestNo);
    if (seen) return answer('N', seen.at);
    if (trade.state === 'TRADE_FINISHED') return refused('ACQ.TRADE_HAS_FINISHED', 'trade finished');
    if (trade.state !== 'TRADE_SUCCESS') return refused('ACQ.TRADE_STATUS_ERROR', 'trade not paid');
    const amount = this.amount(biz.data.refund_amount);
    if (amount === undefined) return badParam('refund_amount out of range');
    if (this.refunded(trade) + amount > trade.totalMinor) return refused('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund exceeds paid amount');
    const refund: SimRefund = { outRequestNo, amountMinor: amount, reason: biz.data.refund_reason, at: this.deps.now() };
    trade.refunds.push(refund);
    if (this.refunded(trade) === trade.totalMinor) {
      trade.state = 'TRADE_CLOSED'; // a fully refunded trade closes
      trade.closedAt = refund.at;
    }
    this.deps.onEvent({ trade, refund });
    return answer('Y', refund.at);
  }

  refundQuery(raw: unknown): Answer {
    const biz = RefundQueryBiz.safeParse(raw);
    if (!biz.success) return badParam('invalid biz_content');
    const trade = this.find(biz.data);
    if (!trade) return refused('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    const refund = trade.refunds.find((r) => r.outRequestNo === biz.data.out_request_no);
    if (!refund) return ok(); // the documented "no data": not received or not successful
    const wantsTime = biz.data.query_options?.includes('gmt_refund_pay') ?? false;
    return ok({
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      out_request_no: refund.outRequestNo,
      total_amount: formatMinor(trade.totalMinor, CURRENCY),
      refund_amount: formatMinor(refund.amountMinor, CURRENCY),
      refund_status: 'REFUND_SUCCESS',
      ...(wantsTime ? { gmt_refund_pay: toPlatformTime(refund.at) } : {}),
      ...(refund.reason ? { refund_reason: refund.reason } : {}),
    });
  }

  /** The buyer scans the QR code: the trade now exists on the platform. */
  scan(outTradeNo: string): SimTrade | string {
    const trade = this.get(outTradeNo);
    if (!trade) return 'trade does not exist';
    if (trade.state === 'EXPIRED') return 'QR code expired';
    if (trade.state === 'PRECREATED') trade.state = 'WAIT_BUYER_PAY';
    return trade;
  }

  /** The buyer confirms payment on the phone. */
  buyerPay(outTradeNo: string): SimTrade | string {
    const scanned = this.scan(outTradeNo);
    if (typeof scanned === 'string') return scanned;
    if (scanned.state !== 'WAIT_BUYER_PAY') return `trade is ${scanned.state}`;
    this.markPaid(scanned);
    return scanned;
  }

  refunded(trade: SimTrade): number {
    return trade.refunds.reduce((sum, r) => sum + r.amountMinor, 0);
  }

  private markPaid(trade: SimTrade): void {
    trade.state = 'TRADE_SUCCESS';
    trade.paidAt = this.deps.now();
    this.deps.onEvent({ trade });
  }

  /** Trades visible through the API: a QR order that nobody scanned is not one yet. */
  private find(raw: unknown): SimTrade | undefined {
    const ref = TradeRef.safeParse(raw);
    if (!ref.success) return undefined;
    const { out_trade_no: out, trade_no: no } = ref.data;
    const trade = out !== undefined ? this.get(out) : this.all().find((t) => t.tradeNo === no);
    if (!trade || (no !== undefined && trade.tradeNo !== no)) return undefined;
    return trade.state === 'PRECREATED' || trade.state === 'EXPIRED' ? undefined : trade;
  }

  private expire(t: SimTrade): void {
    if (!t.expiresAt || t.expiresAt > this.deps.now()) return;
    if (t.state === 'PRECREATED') t.state = 'EXPIRED';
    if (t.state === 'WAIT_BUYER_PAY') {
      t.state = 'TRADE_CLOSED';
      t.closedAt = t.expiresAt;
      this.deps.onEvent({ trade: t });
    }
  }

  private amount(text: string): number | undefined {
    const minor = parseMajor(text, CURRENCY);
    return minor >= 1 && minor <= MAX_MINOR ? minor : undefined;
  }

  /** undefined: platform default; null: unreadable. */
  private expiry(timeExpire: string | undefined, timeoutExpress: string | undefined): Date | undefined | null {
    if (timeExpire !== undefined) {
      const iso = parsePlatformTime(timeExpire);
      return iso ? new Date(iso) : null;
    }
    const m = /^(\d+)([mhd])$/.exec(timeoutExpress ?? '120m');
    if (!m) return null;
    const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] === 'h' ? 'h' : m[2] === 'd' ? 'd' : 'm'];
    return new Date(this.deps.now().getTime() + Number(m[1]) * unitMs);
  }

  private qrCode(token: string): string {
    return `${this.deps.qrBase()}/sim/qr/${token}`;
  }

  private newTradeNo(): string {
    const day = platformDate(this.deps.now()).replaceAll('-', '');
    return `${day}2200${String(randomInt(1e8)).padStart(8, '0')}${String(randomInt(1e8)).padStart(8, '0')}`;
  }
}
