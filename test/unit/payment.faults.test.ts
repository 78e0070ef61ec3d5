import { FaultBook } from '../../integrations/payment/simulator/faults';

describe('FaultBook', () => {
  it('consumes a fault N times, then disarms it', () => {
    const book = new FaultBook();
    book.inject({ kind: 'http5xx', times: 2 });
    expect(book.takeGatewayFault('m')?.kind).toBe('http5xx');
    expect(book.takeGatewayFault('m')).toMatchObject({ kind: 'http5xx', status: 503 });
    expect(book.takeGatewayFault('m')).toBeUndefined();
  });

  it('scopes gateway faults to a method and keeps injection order', () => {
    const book = new FaultBook();
    book.inject({ kind: 'delay', ms: 5, method: 'alipay.trade.refund' });
    book.inject({ kind: 'timeout' });
    expect(book.takeGatewayFault('alipay.trade.query')?.kind).toBe('timeout');
    expect(book.takeGatewayFault('alipay.trade.query')).toBeUndefined();
    expect(book.takeGatewayFault('alipay.trade.refund')).toMatchObject({ kind: 'delay', ms: 5 });
  });

  it('keeps notification faults apart from gateway faults', () => {
    const book = new FaultBook();
    book.inject({ kind: 'notifyForged' });
    expect(book.takeGatewayFault('m')).toBeUndefined();
    expect(book.take('notifyDuplicate')).toBeUndefined();
    expect(book.take('notifyForged')?.kind).toBe('notifyForged');
    expect(book.take('notifyForged')).toBeUndefined();
  });

  it('validates what it is given, and clears', () => {
    const book = new FaultBook();
    expect(() => book.inject({ kind: 'http5xx', status: 404 })).toThrow();
    book.inject({ kind: 'notifyOutOfOrder', count: 3 });
    book.clear();
    expect(book.take('notifyOutOfOrder')).toBeUndefined();
  });
});
