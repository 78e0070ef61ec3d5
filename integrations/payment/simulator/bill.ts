import { z } from 'zod';
import { formatMinor } from '../../../domain/money';
import { platformDate, toPlatformTime } from '../alipay/time';
import type { SimTrade } from './trades';

/**
 * The daily trade bill, as the detail CSV of the real archive. Differences from the platform,
 * on purpose: served as plain UTF-8 CSV rather than a zip of GBK files, no summary file, and
 * only the columns that matter for reconciliation are filled (the header is complete).
 */
const HEADER = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
];

/** Ways to make the bill disagree with the merchant's ledger, for reconciliation tests. */
export const BillMismatch = z.discriminatedUnion('kind', [
  /** Leave a trade's row(s) out of the bill. */
  z.object({ kind: z.literal('missing'), outTradeNo: z.string().min(1), rowKind: z.enum(['payment', 'refund']).optional() }),
  /** Add a row the merchant never saw, on `date` (yyyy-MM-dd, Beijing). */
  z.object({
    kind: z.literal('extra'),
    date: z.iso.date(),
    outTradeNo: z.string().min(1),
    amountMinor: z.number().int().positive(),
    rowKind: z.enum(['payment', 'refund']).default('payment'),
    outRequestNo: z.string().optional(),
  }),
  /** Report a different amount for a trade's payment row. */
  z.object({ kind: z.literal('amountDiffers'), outTradeNo: z.string().min(1), amountMinor: z.number().int().positive() }),
]);
export type BillMismatch = z.infer<typeof BillMismatch>;

interface Line {
  tradeNo: string;
  outTradeNo: string;
  kind: 'payment' | 'refund';
  subject: string;
  createdAt: Date;
  finishedAt: Date;
  amountMinor: number;
  outRequestNo: string;
}

function linesFor(date: string, trades: SimTrade[]): Line[] {
  const lines: Line[] = [];
  for (const t of trades) {
    if (t.paidAt && platformDate(t.paidAt) === date) {
      lines.push({
        tradeNo: t.tradeNo,
        outTradeNo: t.outTradeNo,
        kind: 'payment',
        subject: t.subject,
        createdAt: t.createdAt,
        finishedAt: t.paidAt,
        amountMinor: t.totalMinor,
        outRequestNo: '',
      });
    }
    for (const r of t.refunds) {
      if (platformDate(r.at) !== date) continue;
      lines.push({
        tradeNo: t.tradeNo,
        outTradeNo: t.outTradeNo,
        kind: 'refund',
        subject: t.subject,
        createdAt: t.createdAt,
        finishedAt: r.at,
        amountMinor: r.amountMinor,
        outRequestNo: r.outRequestNo,
      });
    }
  }
  return lines;
}

function applyMismatches(date: string, lines: Line[], mismatches: readonly BillMismatch[]): Line[] {
  let out = lines;
  for (const m of mismatches) {
    if (m.kind === 'missing') {
      out = out.filter((l) => !(l.outTradeNo === m.outTradeNo && (m.rowKind === undefined || m.rowKind === l.kind)));
    } else if (m.kind === 'amountDiffers') {
      out = out.map((l) => (l.outTradeNo === m.outTradeNo && l.kind === 'payment' ? { ...l, amountMinor: m.amountMinor } : l));
    } else if (m.date === date) {
      const at = new Date(`${date}T12:00:00+08:00`);
      out = [
        ...out,
        {
          tradeNo: `${date.replaceAll('-', '')}2200${'9'.repeat(16)}`,
          outTradeNo: m.outTradeNo,
          kind: m.rowKind,
          subject: 'planted',
          createdAt: at,
          finishedAt: at,
          amountMinor: m.amountMinor,
          outRequestNo: m.outRequestNo ?? '',
        },
      ];
    }
  }
  return out;
}

/** The cells are padded with a tab like the real file, which keeps spreadsheets from mangling numbers. */
function cells(l: Line): string[] {
  const signed = formatMinor(l.kind === 'refund' ? -l.amountMinor : l.amountMinor, 'CNY');
  const blank = Array<string>(HEADER.length).fill('');
  const set = (name: string, value: string): void => {
    blank[HEADER.indexOf(name)] = value;
  };
  set('支付宝交易号', l.tradeNo);
  set('商户订单号', l.outTradeNo);
  set('业务类型', l.kind === 'refund' ? '退款' : '交易');
  set('商品名称', l.subject.replaceAll(/[\r\n]/g, ' '));
  set('创建时间', toPlatformTime(l.createdAt));
  set('完成时间', toPlatformTime(l.finishedAt));
  set('对方账户', '159****0000');
  set('订单金额（元）', signed);
  set('商家实收（元）', signed);
  set('退款批次号/请求号', l.outRequestNo);
  return blank.map((c) => `${c}\t`);
}

export function renderBillCsv(opts: {
  date: string;
  account: string;
  trades: SimTrade[];
  mismatches: readonly BillMismatch[];
  now: Date;
}): string {
  const lines = applyMismatches(opts.date, linesFor(opts.date, opts.trades), opts.mismatches);
  const payments = lines.filter((l) => l.kind === 'payment').length;
  return [
    '#支付宝业务明细查询',
    `#账号：[${opts.account}]`,
    `#起始日期：[${opts.date} 00:00:00]   终止日期：[${opts.date} 23:59:59]`,
    '#-----------------------------------------业务明细列表----------------------------------------',
    HEADER.join(','),
    ...lines.map((l) => cells(l).join(',')),
    '#-----------------------------------------业务明细列表结束------------------------------------',
    `#交易合计：${payments}笔，退款合计：${lines.length - payments}笔`,
    `#导出时间：[${toPlatformTime(opts.now)}]`,
    '',
  ].join('\r\n');
}
