import { deflateRawSync } from 'node:zlib';
import { DomainError, ErrorCode } from '../../domain/errors';
import { decodeBill, parseBillCsv } from '../../integrations/payment/alipay/bill';
import { renderBillCsv } from '../../integrations/payment/simulator/bill';
import type { SimTrade } from '../../integrations/payment/simulator/trades';

/** Shaped like the platform's detail file: '#' title lines, tab-padded unquoted cells, CRLF. */
const HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
const row = (cells: string[]): string => cells.map((c) => `${c}\t`).join(',');
const pad = (n: number): string[] => Array<string>(n).fill('');
const SAMPLE = [
  '#支付宝业务明细查询',
  '#账号：[20880000000000010156]',
  '#起始日期：[2024年05月13日 00:00:00]   终止日期：[2024年05月14日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------',
  HEADER,
  row([
    '2024051322001400001111111111',
    'T1',
    '交易',
    '挂号费, 内科',
    '2024-05-13 09:00:00',
    '2024-05-13 09:00:05',
    ...pad(4),
    '159****0000',
    '12.34',
    '12.34',
    ...pad(8),
    '',
    '-0.07',
    '0.00',
    '',
  ]),
  row([
    '2024051322001400001111111111',
    'T1',
    '退款',
    '挂号费, 内科',
    '2024-05-13 09:00:00',
    '2024-05-13 18:30:00',
    ...pad(4),
    '159****0000',
    '-2.00',
    '-2.00',
    ...pad(8),
    'R1',
    '0.01',
    '0.00',
    '',
  ]),
  '#-----------------------------------------业务明细列表结束------------------------------------',
  '#交易合计：1笔，退款合计：1笔',
  '#导出时间：[2024年05月14日 09:12:10]',
].join('\r\n');

const EXPECTED = [
  {
    tradeNo: '2024051322001400001111111111',
    outTradeNo: 'T1',
    kind: 'payment',
    amountMinor: 1234,
    currency: 'CNY',
    finishedAt: '2024-05-13T01:00:05.000Z',
  },
  {
    tradeNo: '2024051322001400001111111111',
    outTradeNo: 'T1',
    kind: 'refund',
    amountMinor: 200,
    currency: 'CNY',
    outRequestNo: 'R1',
    finishedAt: '2024-05-13T10:30:00.000Z',
  },
];

/** Node decodes GBK but cannot encode it; invert the decoder for the characters we need. */
function gbk(text: string): Buffer {
  const dec = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const ch = dec.decode(Uint8Array.of(lead, trail));
      if (!table.has(ch)) table.set(ch, [lead, trail]);
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) out.push(code);
    else {
      const bytes = table.get(ch);
      if (!bytes) throw new Error(`no GBK for ${ch}`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}

/** A minimal zip (no CRCs: the reader under test does not check them). */
function zip(files: Array<{ name: Buffer; data: Buffer; deflate: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const body = f.deflate ? deflateRawSync(f.data) : f.data;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(f.name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(f.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(f.name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, f.name, body);
    centrals.push(central, f.name);
    offset += 30 + f.name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

describe('bill parsing', () => {
  it('reads the detail CSV, folding commas in the subject back into one cell', () => {
    expect(parseBillCsv(SAMPLE)).toEqual(EXPECTED);
  });

  it('takes the detail file out of a zip of GBK files, skipping the summary', () => {
    const archive = zip([
      { name: gbk('20880000000000010156_20240513_业务明细(汇总).csv'), data: gbk('#汇总\r\n门店编号,门店名称\r\n'), deflate: false },
      { name: gbk('20880000000000010156_20240513_业务明细.csv'), data: gbk(SAMPLE), deflate: true },
    ]);
    expect(parseBillCsv(decodeBill(archive))).toEqual(EXPECTED);
  });

  it('accepts a bare GBK or UTF-8 (with BOM) CSV', () => {
    expect(parseBillCsv(decodeBill(gbk(SAMPLE)))).toEqual(EXPECTED);
    expect(parseBillCsv(decodeBill(Buffer.from(`\uFEFF${SAMPLE}`, 'utf8')))).toEqual(EXPECTED);
  });

  it('fails loudly on a header it does not know or an unknown business type', () => {
    expect(() => parseBillCsv('a,b,c\r\n1,2,3')).toThrow(DomainError);
    expect(() => parseBillCsv(SAMPLE.replace('交易\t', '转账\t'))).toThrow('unknown business type');
    let thrown: unknown;
    try {
      parseBillCsv(SAMPLE.replace('12.34\t', '12.345\t'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: ErrorCode.CounterpartUnavailable, message: 'bill: line 1: unreadable row' });
  });

  it('returns no rows for a file with only comments', () => {
    expect(parseBillCsv('#支付宝业务明细查询\r\n#导出时间：[2024年05月14日 09:12:10]\r\n')).toEqual([]);
  });
});

describe('simulator bill ⇄ adapter parser', () => {
  it("round-trips the simulator's CSV, including refunds and planted mismatches", () => {
    const trade: SimTrade = {
      outTradeNo: 'T9',
      tradeNo: '2025031022000000000000000009',
      totalMinor: 5_000,
      subject: 'a,b',
      state: 'TRADE_SUCCESS',
      createdAt: new Date('2025-03-10T01:00:00Z'),
      paidAt: new Date('2025-03-10T01:00:01Z'),
      refunds: [{ outRequestNo: 'R9', amountMinor: 1_500, at: new Date('2025-03-10T03:00:00Z') }],
    };
    const csv = renderBillCsv({
      date: '2025-03-10',
      account: '2088',
      trades: [trade],
      now: new Date(),
      mismatches: [{ kind: 'amountDiffers', outTradeNo: 'T9', amountMinor: 4_999 }],
    });
    expect(parseBillCsv(csv)).toEqual([
      {
        tradeNo: trade.tradeNo,
        outTradeNo: 'T9',
        kind: 'payment',
        amountMinor: 4_999,
        currency: 'CNY',
        finishedAt: '2025-03-10T01:00:01.000Z',
      },
      {
        tradeNo: trade.tradeNo,
        outTradeNo: 'T9',
        kind: 'refund',
        amountMinor: 1_500,
        currency: 'CNY',
        outRequestNo: 'R9',
        finishedAt: '2025-03-10T03:00:00.000Z',
      },
    ]);
  });
});
