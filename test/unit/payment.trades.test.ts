import { TradeBook, type TradeEvent } from '../../integrations/payment/simulator/trades';

/** The simulator's platform rules, without HTTP or signatures. */
function book(start = '2025-03-10T02:00:00Z') {
  let now = new Date(start);
  const events: TradeEvent[] = [];
  const trades = new TradeBook({ now: () => now, qrBase: () => 'http://sim', onEvent: (e) => events.push(e) });
  return {
    trades,
    events,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}
const precreate = { out_trade_no: 'T1', total_amount: '10.00', subject: 's', timeout_express: '15m' };

describe('TradeBook', () => {
  it('answers TRADE_NOT_EXIST for a QR order nobody scanned, and closes it on expiry once scanned', () => {
    const { trades, events, advance } = book();
    expect(trades.precreate(precreate, 'http://n')).toMatchObject({
      code: '10000',
      qr_code: expect.stringMatching(/^http:\/\/sim\/sim\/qr\//),
    });
    expect(trades.query({ out_trade_no: 'T1' })).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
    expect(trades.scan('T1')).toMatchObject({ state: 'WAIT_BUYER_PAY' });
    advance(15 * 60_000);
    expect(trades.query({ out_trade_no: 'T1' })).toMatchObject({ code: '10000', trade_status: 'TRADE_CLOSED' });
    expect(events.map((e) => e.trade.state)).toEqual(['TRADE_CLOSED']);
    expect(trades.buyerPay('T1')).toBe('trade is TRADE_CLOSED');
  });

  it('does not let an expired, unscanned QR code be scanned', () => {
    const { trades, advance } = book();
    trades.precreate(precreate);
    advance(16 * 60_000);
    expect(trades.scan('T1')).toBe('QR code expired');
  });

  it('rejects malformed or out-of-range amounts', () => {
    const { trades } = book();
    for (const total_amount of ['0.00', '1.234', '-1', '100000000.01', 'abc']) {
      expect(trades.precreate({ ...precreate, total_amount })).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
    }
  });

  it('answers a refund query without data for an unknown request, as the docs describe', () => {
    const { trades } = book();
    trades.precreate(precreate);
    trades.buyerPay('T1');
    expect(trades.refundQuery({ out_trade_no: 'T1', out_request_no: 'R404' })).toEqual({ code: '10000', msg: 'Success' });
  });

  it('finds a trade by trade_no, and not by a mismatched pair', () => {
    const { trades } = book();
    trades.precreate(precreate);
    const paid = trades.buyerPay('T1');
    if (typeof paid === 'string') throw new Error(paid);
    expect(trades.query({ trade_no: paid.tradeNo })).toMatchObject({ out_trade_no: 'T1' });
    expect(trades.query({ out_trade_no: 'T1', trade_no: '1' })).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });
});
