import { DomainError, ErrorCode } from '../../domain/errors';
import { buildAdt, buildDft, buildOrderMessage, buildSiu, parseHl7, type Hl7Event, type SiuInput } from '../../integrations/hospital/hl7';
import { DEFAULT_BEHAVIOUR, HisState, type SimBehaviour } from '../../integrations/hospital/simulator';

const doctors = [
  { id: 'D1', name: 'Dr Li', departmentId: 'CARD' },
  { id: 'D2', name: 'Dr Wang', departmentId: 'CARD' },
];
const slots = [{ id: 'S-D2', doctorId: 'D2', start: '2025-03-03T01:00:00.000Z', durationMinutes: 15 }];
const b: SimBehaviour = { ...DEFAULT_BEHAVIOUR };

function siu(trigger: 'S12' | 'S14' | 'S15' | 'S26', bookingRef: string, slotId: string | undefined, doctorId = 'D1'): Hl7Event {
  const input: SiuInput = {
    sendingFacility: 'CAUSEWAY',
    bookingRef,
    fillerAppointmentId: slotId,
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 15,
    doctor: { id: doctorId },
    department: { code: 'CARD' },
    patient: { id: `P-${bookingRef}`, assigningAuthority: 'CAUSEWAY' },
  };
  return parseHl7(buildSiu(trigger, input));
}

const arrival = (bookingRef: string, doctorId = 'D1') =>
  parseHl7(buildAdt('A04', { sendingFacility: 'CAUSEWAY', bookingRef, doctor: { id: doctorId }, patient: { id: `P-${bookingRef}` } }));

const payment = (bookingRef: string, orderId: string, amountMinor: number) =>
  parseHl7(
    buildDft({
      sendingFacility: 'CAUSEWAY',
      bookingRef,
      patient: { id: `P-${bookingRef}` },
      transactions: [{ type: 'PY', code: { code: 'CWPAY' }, extendedAmount: { amountMinor, currency: 'CNY' }, fillerOrderId: orderId }],
    }),
  );

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : 'not a DomainError';
  }
  return undefined;
}

function booked(state: HisState, ref: string, slot: string, doctorId = 'D1'): void {
  expect(state.apply(siu('S12', ref, slot, doctorId), b)).toEqual({ ok: true, paidOrders: [] });
  expect(state.apply(siu('S14', ref, slot, doctorId), b).ok).toBe(true);
}

describe('HisState: holds', () => {
  it('holds a free slot, repeats harmlessly, refuses it to another booking', () => {
    const state = new HisState(doctors, slots);
    expect(state.apply(siu('S12', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.apply(siu('S12', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.apply(siu('S12', 'B2', 'X1'), b)).toEqual({ ok: false, code: '206', reason: 'slot is taken' });
    expect(state.slotHolder('X1')).toBe('B1');
    expect(state.booking('B1')).toMatchObject({ status: 'held', doctorId: 'D1', departmentId: 'CARD' });
  });

  it('refuses by rule, unknown slots in strict mode, another doctor’s slot, unknown doctors and a missing slot id', () => {
    const state = new HisState(doctors, slots);
    expect(state.apply(siu('S12', 'B1', 'X1'), { ...b, rejectHoldsForSlots: ['X1'] })).toMatchObject({
      ok: false,
      reason: 'slot is not available',
    });
    expect(state.apply(siu('S12', 'B1', 'X1'), { ...b, acceptUnknownSlots: false })).toMatchObject({ ok: false, code: '204' });
    expect(state.apply(siu('S12', 'B1', 'S-D2', 'D1'), b)).toMatchObject({ ok: false, code: '103' });
    expect(state.apply(siu('S12', 'B1', 'S-D2', 'D2'), b).ok).toBe(true);
    expect(state.apply(siu('S12', 'B3', 'X9', 'D7'), b)).toMatchObject({ ok: false, reason: 'unknown doctor' });
    expect(state.apply(siu('S12', 'B4', undefined), b)).toMatchObject({ ok: false, code: '101' });
  });

  it('lets go of the old slot when a booking holds another one', () => {
    const state = new HisState(doctors);
    state.apply(siu('S12', 'B1', 'X1'), b);
    expect(state.apply(siu('S12', 'B1', 'X2'), b).ok).toBe(true);
    expect(state.slotHolder('X1')).toBeUndefined();
    expect(state.apply(siu('S12', 'B2', 'X1'), b).ok).toBe(true);
  });
});

describe('HisState: booking life', () => {
  it('confirms only a held booking on its own slot', () => {
    const state = new HisState(doctors);
    expect(state.apply(siu('S14', 'B1', 'X1'), b)).toMatchObject({ ok: false, code: '204' });
    state.apply(siu('S12', 'B1', 'X1'), b);
    expect(state.apply(siu('S14', 'B1', 'X2'), b)).toMatchObject({ ok: false, reason: 'booking holds another slot' });
    expect(state.apply(siu('S14', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.apply(siu('S14', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.booking('B1').status).toBe('booked');
  });

  it('cancels (idempotently, unknown bookings included) and frees the slot', () => {
    const state = new HisState(doctors);
    booked(state, 'B1', 'X1');
    expect(state.apply(siu('S15', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.apply(siu('S15', 'B1', 'X1'), b).ok).toBe(true);
    expect(state.apply(siu('S15', 'B-UNKNOWN', 'X1'), b).ok).toBe(true);
    expect(state.booking('B1').status).toBe('cancelled');
    expect(state.slotHolder('X1')).toBeUndefined();
    expect(state.apply(siu('S14', 'B1', 'X1'), b)).toMatchObject({ ok: false, reason: 'booking is cancelled' });
  });

  it('queues arrivals per doctor in order; no-shows and cancellations leave the queue', () => {
    const state = new HisState(doctors);
    expect(state.apply(arrival('B0'), b)).toMatchObject({ ok: false, code: '204' });
    for (const ref of ['B1', 'B2', 'B3']) booked(state, ref, `X-${ref}`);
    state.apply(siu('S12', 'B4', 'X-B4'), b);
    expect(state.apply(arrival('B4'), b)).toMatchObject({ ok: false, reason: 'booking is held, not booked' });
    for (const ref of ['B2', 'B1', 'B3']) expect(state.apply(arrival(ref), b).ok).toBe(true);
    expect(state.apply(arrival('B2'), b).ok).toBe(true);
    expect(state.queues.get('D1')).toEqual(['B2', 'B1', 'B3']);
    expect(state.booking('B2').visitNumber).toMatch(/^V\d{6}$/);

    expect(state.apply(siu('S26', 'B1', 'X-B1'), b).ok).toBe(true);
    expect(state.booking('B1').status).toBe('no-show');
    expect(state.callNext('D1')?.bookingRef).toBe('B2');
    expect(state.callNext('D1')?.bookingRef).toBe('B3');
    expect(state.callNext('D1')).toBeUndefined();
    expect(state.booking('B2').calledAt).toBeDefined();
    expect(state.apply(siu('S26', 'B-UNKNOWN', 'X'), b)).toMatchObject({ ok: false, code: '204' });
  });
});

describe('HisState: orders and payments', () => {
  it('prices orders, reports an order once it is paid in full (over several payments)', () => {
    const state = new HisState(doctors);
    booked(state, 'B1', 'X1');
    expect(thrownCode(() => state.placeOrder('B1', [{ code: 'GLU', priceMinor: 100, quantity: 1 }], 'CNY'))).toBe(ErrorCode.InvalidState);
    state.apply(arrival('B1'), b);
    const order = state.placeOrder(
      'B1',
      [
        { code: 'GLU', priceMinor: 2500, quantity: 1 },
        { code: 'HBA1C', priceMinor: 4000, quantity: 2 },
      ],
      'CNY',
    );
    expect(order).toMatchObject({ orderId: 'ORD-0001', totalMinor: 10_500, resultsSent: false });
    expect(state.placeOrder('B1', [], 'CNY', 'ORD-0001')).toBe(order);

    expect(state.apply(payment('B1', 'REG', 1500), b)).toEqual({ ok: true, paidOrders: [] });
    expect(state.apply(payment('B1', 'ORD-0001', 10_000), b)).toEqual({ ok: true, paidOrders: [] });
    expect(state.apply(payment('B1', 'ORD-0001', 500), b)).toEqual({ ok: true, paidOrders: ['ORD-0001'] });
    expect(state.apply(payment('B1', 'ORD-0001', 1), b)).toEqual({ ok: true, paidOrders: [] });
    expect(state.booking('B1').paid).toEqual({ REG: 1500, 'ORD-0001': 10_501 });
    expect(state.apply(payment('B-UNKNOWN', 'ORD-0001', 1), b)).toMatchObject({ ok: false, code: '204' });
  });

  it('keeps order ids to their booking and refuses messages only the HIS sends', () => {
    const state = new HisState(doctors);
    for (const ref of ['B1', 'B2']) {
      booked(state, ref, `X-${ref}`);
      state.apply(arrival(ref), b);
    }
    state.placeOrder('B1', [{ code: 'X', priceMinor: 1, quantity: 1 }], 'CNY', 'O-1');
    expect(thrownCode(() => state.placeOrder('B2', [], 'CNY', 'O-1'))).toBe(ErrorCode.Conflict);
    expect(thrownCode(() => state.order('B2', 'O-1'))).toBe(ErrorCode.NotFound);
    const orders = parseHl7(
      buildOrderMessage('ORM', {
        sendingFacility: 'CAUSEWAY',
        bookingRef: 'B1',
        patient: { id: 'P' },
        orders: [{ orderControl: 'NW', placerOrderId: 'O-2', items: [{ service: { code: 'X' } }], charges: [] }],
      }),
    );
    expect(state.apply(orders, b)).toMatchObject({ ok: false, code: '200' });
  });
});
