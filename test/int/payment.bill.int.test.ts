import { DomainError, ErrorCode } from '../../domain/errors';
import type { BillRow } from '../../integrations/payment';
import { type NotificationReceiver, type PaymentHarness } from '../../integrations/payment/simulator';
import { tradeRef, withPaymentHarness } from '../helpers/payment';

/** Daily bill for reconciliation, with the platform's clock under test control. */
let clock = new Date('2025-03-10T02:00:00Z'); // 10:00 in Beijing
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { now: () => clock, notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const ref = tradeRef;

async function paid(amountMinor: number): Promise<string> {
  const outTradeNo = ref('T');
  await h.provider.createQrOrder({
    outTradeNo,
    amountMinor,
    currency: 'CNY',
    subject: 'Lab test, blood',
    timeoutMinutes: 30,
    notifyUrl: receiver.url,
  });
  h.sim.buyer.pay(outTradeNo);
  return outTradeNo;
}

const find = (rows: BillRow[], outTradeNo: string, kind: BillRow['kind'] = 'payment'): BillRow | undefined =>
  rows.find((r) => r.outTradeNo === outTradeNo && r.kind === kind);

it("lists the day's payments and refunds, with planted mismatches visible", async () => {
  const a = await paid(1_234);
  const b = await paid(5_000);
  const c = await paid(700);
  const refundNo = ref('R');
  await h.provider.refund({ outTradeNo: b, outRequestNo: refundNo, refundMinor: 2_000, currency: 'CNY' });
  clock = new Date('2025-03-10T15:59:59Z'); // 23:59:59 Beijing, still 2025-03-10
  const late = await paid(42);
  clock = new Date('2025-03-10T16:00:00Z'); // midnight in Beijing: a new service day
  const nextDay = await paid(99);

  // The day is not over anywhere until the platform's clock says so.
  const early = await h.provider.downloadBill('2025-03-11').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(early).toBeInstanceOf(DomainError);
  expect(early).toMatchObject({ code: ErrorCode.NotFound });

  h.sim.bill.plant({ kind: 'missing', outTradeNo: c });
  h.sim.bill.plant({ kind: 'amountDiffers', outTradeNo: a, amountMinor: 1_243 });
  h.sim.bill.plant({ kind: 'extra', date: '2025-03-10', outTradeNo: 'NEVER-SEEN-1', amountMinor: 1_000 });

  const rows = await h.provider.downloadBill('2025-03-10');
  expect(find(rows, a)).toMatchObject({ amountMinor: 1_243, currency: 'CNY' }); // planted: we charged 1_234
  expect(find(rows, b)).toMatchObject({ amountMinor: 5_000, finishedAt: '2025-03-10T02:00:00.000Z' });
  expect(find(rows, b, 'refund')).toMatchObject({ amountMinor: 2_000, outRequestNo: refundNo });
  expect(find(rows, c)).toBeUndefined(); // planted: missing
  expect(find(rows, late)).toMatchObject({ amountMinor: 42, finishedAt: '2025-03-10T15:59:59.000Z' });
  expect(find(rows, nextDay)).toBeUndefined(); // belongs to 2025-03-11
  expect(find(rows, 'NEVER-SEEN-1')).toMatchObject({ amountMinor: 1_000, kind: 'payment' });
  expect(rows).toHaveLength(5); // a, b, b refund, late, planted extra
  expect(find(rows, b)?.tradeNo).toBe(h.sim.trades.get(b)?.tradeNo);

  h.sim.bill.clear();
  const clean = await h.provider.downloadBill('2025-03-10');
  expect(find(clean, a)?.amountMinor).toBe(1_234);
  expect(find(clean, c)?.amountMinor).toBe(700);
  expect(clean).toHaveLength(5);
});

it('returns an empty bill for a quiet day', async () => {
  expect(await h.provider.downloadBill('2025-01-01')).toEqual([]);
});

it('maps a failing bill download to CounterpartUnavailable', async () => {
  h.sim.faults.inject({ kind: 'http5xx', method: 'alipay.data.dataservice.bill.downloadurl.query' });
  const err: unknown = await h.provider.downloadBill('2025-03-10').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: ErrorCode.CounterpartUnavailable, retryable: true });
});
