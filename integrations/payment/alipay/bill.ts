import { DomainError, ErrorCode } from '../../../domain/errors';
import { parseMajor } from '../../../domain/money';
import { BillRow } from '../provider';
import { parsePlatformTime } from './time';
import { isZip, listZip } from './zip';

/**
 * The trade bill ("业务明细"). The real download is a zip of GBK CSV files: a detail file and a
 * summary ("汇总") file. Lines starting with '#' are titles and totals; the first other line is
 * the header. Cells are unquoted and padded with tabs. The simulator serves the detail CSV
 * directly (UTF-8, no zip); `decodeBill` accepts both.
 */
export const BILL_COLUMNS = {
  tradeNo: '支付宝交易号',
  outTradeNo: '商户订单号',
  kind: '业务类型',
  subject: '商品名称',
  createdAt: '创建时间',
  finishedAt: '完成时间',
  amount: '订单金额（元）',
  outRequestNo: '退款批次号/请求号',
} as const;

const KIND: Readonly<Record<string, BillRow['kind']>> = { 交易: 'payment', 退款: 'refund' };

function malformed(message: string): DomainError {
  return new DomainError(ErrorCode.CounterpartUnavailable, `bill: ${message}`);
}

/** Bytes as downloaded → the detail CSV text. */
export function decodeBill(bytes: Buffer): string {
  if (isZip(bytes)) {
    const entries = listZip(bytes);
    const detail =
      entries.find((e) => e.name.includes('业务明细') && !e.name.includes('汇总')) ??
      entries.find((e) => e.name.endsWith('.csv') && !e.name.includes('汇总'));
    if (!detail) throw malformed('no detail file in archive');
    return new TextDecoder('gbk').decode(detail.read());
  }
  const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  // Without a zip wrapper we still accept a GBK file: U+FFFD means it was not UTF-8.
  return utf8.includes('\uFFFD') ? new TextDecoder('gbk').decode(bytes) : utf8;
}

export function parseBillCsv(text: string, currency = 'CNY'): BillRow[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const [headerLine, ...dataLines] = lines;
  if (headerLine === undefined) return [];
  const header = headerLine.split(',').map((c) => c.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw malformed(`missing column ${name}`);
    return i;
  };
  const idx = {
    tradeNo: col(BILL_COLUMNS.tradeNo),
    outTradeNo: col(BILL_COLUMNS.outTradeNo),
    kind: col(BILL_COLUMNS.kind),
    subject: col(BILL_COLUMNS.subject),
    finishedAt: col(BILL_COLUMNS.finishedAt),
    amount: col(BILL_COLUMNS.amount),
    outRequestNo: col(BILL_COLUMNS.outRequestNo),
  };
  return dataLines.map((line, n) => {
    try {
      return parseLine(line, n);
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.CounterpartUnavailable) throw err;
      throw malformed(`line ${n + 1}: unreadable row`);
    }
  });

  function parseLine(line: string, n: number): BillRow {
    let cells = line.split(',').map((c) => c.trim());
    // Subjects are not quoted and may contain commas: fold the surplus back into that column.
    const surplus = cells.length - header.length;
    if (surplus > 0) {
      const merged = cells.slice(idx.subject, idx.subject + surplus + 1).join(',');
      cells = [...cells.slice(0, idx.subject), merged, ...cells.slice(idx.subject + surplus + 1)];
    }
    const cell = (i: number): string => cells[i] ?? '';
    const kind = KIND[cell(idx.kind)];
    if (!kind) throw malformed(`line ${n + 1}: unknown business type`);
    const finishedAt = parsePlatformTime(cell(idx.finishedAt));
    if (!finishedAt) throw malformed(`line ${n + 1}: bad completion time`);
    const outRequestNo = cell(idx.outRequestNo);
    return BillRow.parse({
      outTradeNo: cell(idx.outTradeNo),
      tradeNo: cell(idx.tradeNo),
      kind,
      amountMinor: Math.abs(parseMajor(cell(idx.amount), currency, { allowNegative: true })),
      currency,
      ...(outRequestNo ? { outRequestNo } : {}),
      finishedAt,
    });
  }
}
