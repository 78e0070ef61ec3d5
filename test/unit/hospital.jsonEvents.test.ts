import { InstitutionEvent, institutionEventToHl7 } from '../../api/hospital/jsonEvents';
import { parseHl7 } from '../../integrations/hospital/hl7';

/** JSON events become the HL7 a HIS would send; the HL7 parser must read back what was meant. */
const base = { eventId: 'EV-1', bookingRef: 'B123', patientId: 'P-9' };
const at = new Date('2026-11-25T02:00:00.000Z');

describe('institution JSON events as HL7', () => {
  it('orders: an ORM^O01 whose FT1 lines carry the price in minor units', () => {
    const event = InstitutionEvent.parse({
      ...base,
      kind: 'orders-placed',
      orderId: 'ORD-1',
      currency: 'CNY',
      items: [{ code: 'CBC', text: 'Blood count', quantity: 2, unitPriceMinor: 1250 }],
    });
    const parsed = parseHl7(institutionEventToHl7(event, 'H1', at));
    expect(parsed).toMatchObject({
      kind: 'orders-placed',
      bookingRef: 'B123',
      header: { controlId: 'EV-1', sendingFacility: 'H1', messageType: 'ORM' },
    });
    if (parsed.kind !== 'orders-placed') throw new Error('not orders');
    expect(parsed.orders[0]?.charges[0]?.extendedAmount).toEqual({ amountMinor: 2500, currency: 'CNY' });
  });

  it('results: numeric and text values keep their types, with units and ranges', () => {
    const event = InstitutionEvent.parse({
      ...base,
      kind: 'results-reported',
      orderId: 'ORD-1',
      service: { code: 'GLU', text: 'Glucose' },
      observations: [
        { code: 'GLU', text: 'Glucose', value: '5.6', units: 'mmol/L', referenceRange: '3.9-6.1', abnormalFlag: 'N' },
        { code: 'COM', text: 'Comment', value: 'haemolysed | re-test' },
      ],
    });
    const parsed = parseHl7(institutionEventToHl7(event, 'H1', at));
    if (parsed.kind !== 'results-reported') throw new Error('not results');
    const [num, text] = parsed.reports[0]?.observations ?? [];
    expect(num?.value).toEqual({ type: 'numeric', raw: '5.6', number: 5.6 });
    expect(num?.units?.code).toBe('mmol/L');
    expect(text?.value).toMatchObject({ type: 'text', text: 'haemolysed | re-test' }); // the pipe is escaped on the way and back
  });

  it('patient called: an ADT^A08 with the call time', () => {
    const event = InstitutionEvent.parse({ ...base, kind: 'patient-called', calledAt: '2026-11-25T10:15:00+08:00', room: 'R3' });
    const parsed = parseHl7(institutionEventToHl7(event, 'H1', at));
    expect(parsed).toMatchObject({ kind: 'patient-updated', bookingRef: 'B123' });
    if (parsed.kind !== 'patient-updated') throw new Error('not an update');
    expect(parsed.admittedAt && new Date(parsed.admittedAt).toISOString()).toBe('2026-11-25T02:15:00.000Z');
  });

  it('rejects what HL7 could not carry safely', () => {
    expect(
      InstitutionEvent.safeParse({
        ...base,
        kind: 'orders-placed',
        orderId: 'O|1',
        currency: 'CNY',
        items: [{ code: 'A', text: 'a', unitPriceMinor: 1 }],
      }).success,
    ).toBe(false);
    expect(
      InstitutionEvent.safeParse({
        ...base,
        kind: 'orders-placed',
        orderId: 'O1',
        currency: 'CNY',
        items: [{ code: 'A', text: 'a', unitPriceMinor: -1 }],
      }).success,
    ).toBe(false);
    expect(
      InstitutionEvent.safeParse({ ...base, eventId: 'x'.repeat(21), kind: 'patient-called', calledAt: '2026-11-25T10:15:00Z' }).success,
    ).toBe(false);
  });
});
