import { HisStep, hisControlId } from '../../integrations/hospital/gateway';
import { parseHl7 } from '../../integrations/hospital/hl7';
import { buildCallIn, buildOrders, buildResults, cannedObservations, type Identity } from '../../integrations/hospital/simulator/outbound';
import type { SimBooking, SimOrder } from '../../integrations/hospital/simulator';

/** What the simulator sends must be what Causeway's parser reads back, field for field. */

const id: Identity = { application: 'HIS', facility: 'H1', localOffsetMinutes: 480 };
const booking: SimBooking = {
  bookingRef: 'BK-1',
  slotId: 'S-1',
  patient: { id: 'PR-1', assigningAuthority: 'CAUSEWAY' },
  doctorId: 'D1',
  departmentId: 'CARD',
  status: 'booked',
  visitNumber: 'V000001',
  arrivedAt: '2025-03-03T01:00:00.000Z',
  calledAt: '2025-03-03T01:20:00.000Z',
  paid: {},
};
const order: SimOrder = {
  orderId: 'ORD-1',
  bookingRef: 'BK-1',
  items: [{ code: 'GLU', text: 'Glucose | fasting', priceMinor: 1234, quantity: 1 }],
  currency: 'CNY',
  totalMinor: 1234,
  resultsSent: false,
};

describe('simulator messages round-trip through the parser', () => {
  it('call-in is an ADT^A08 with the room, the call time and the visit number', () => {
    const event = parseHl7(buildCallIn(id, booking, 'R7'));
    expect(event).toMatchObject({
      kind: 'patient-updated',
      bookingRef: 'BK-1',
      visitNumber: 'V000001',
      department: { code: 'CARD', room: 'R7' },
      doctor: { id: 'D1' },
      admittedAt: '2025-03-03T01:20:00.000Z',
      header: { sendingApplication: 'HIS', sendingFacility: 'H1', messageType: 'ADT', triggerEvent: 'A08' },
    });
  });

  it('orders carry escaped texts and FT1 prices in minor units', () => {
    for (const type of ['ORM', 'OML'] as const) {
      const event = parseHl7(buildOrders(id, booking, order, type));
      if (event.kind !== 'orders-placed') throw new Error(event.kind);
      expect(event.orders[0]).toMatchObject({
        placerOrderId: 'ORD-1',
        items: [{ service: { code: 'GLU', text: 'Glucose | fasting' } }],
        charges: [
          { type: 'CG', extendedAmount: { amountMinor: 1234, currency: 'CNY' }, unitAmount: { amountMinor: 1234, currency: 'CNY' } },
        ],
      });
    }
  });

  it('results keep numbers as written and text as text', () => {
    const event = parseHl7(
      buildResults(id, booking, order, [
        { code: 'GLU', value: '5.60', units: 'mmol/L', abnormalFlag: 'N' },
        { code: 'NOTE', value: 'haemolysed, repeat' },
        { code: 'K', value: 4 },
      ]),
    );
    if (event.kind !== 'results-reported') throw new Error(event.kind);
    expect(event.reports[0]?.observations.map((o) => o.value)).toEqual([
      { type: 'numeric', raw: '5.60', number: 5.6 },
      { type: 'text', text: 'haemolysed, repeat' },
      { type: 'numeric', raw: '4', number: 4 },
    ]);
    expect(parseHl7(buildResults(id, booking, order, cannedObservations(order)))).toMatchObject({ kind: 'results-reported' });
  });
});

describe('hisControlId', () => {
  it('is deterministic per booking and step, 20 characters, distinct across steps', () => {
    const a = hisControlId('BK-1', HisStep.hold('S-1'));
    expect(a).toBe(hisControlId('BK-1', HisStep.hold('S-1')));
    expect(a).toHaveLength(20);
    const others = [
      hisControlId('BK-1', HisStep.hold('S-2')),
      hisControlId('BK-2', HisStep.hold('S-1')),
      hisControlId('BK-1', HisStep.confirm('S-1')),
      hisControlId('BK-1', HisStep.payment('ORD-1')),
      hisControlId('BK-1', HisStep.arrival()),
    ];
    expect(new Set([a, ...others]).size).toBe(6);
  });
});
