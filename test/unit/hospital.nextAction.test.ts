import { nextVisitAction } from '../../domain/hospital/nextAction';

const none = { orders: [], resultOrderIds: [] };

describe('nextVisitAction', () => {
  it('asks the patient to pay, check in, pay an order or read results, in that order of need', () => {
    expect(nextVisitAction('awaiting_payment', none)).toBe('pay_registration');
    expect(nextVisitAction('booked', none)).toBe('check_in');
    expect(nextVisitAction('called', { orders: [{ status: 'awaiting_payment' }], resultOrderIds: ['O1'] })).toBe('pay_order');
    expect(nextVisitAction('closed', { orders: [{ status: 'paid' }], resultOrderIds: ['O1'] })).toBe('read_results');
  });

  it('offers nothing while the hospital has the next move or the visit is over without results', () => {
    expect(nextVisitAction('holding', none)).toBeNull();
    expect(nextVisitAction('queued', none)).toBeNull();
    expect(nextVisitAction('cancelled', { orders: [], resultOrderIds: ['O1'] })).toBeNull();
    expect(nextVisitAction('closed', null)).toBeNull();
  });
});
