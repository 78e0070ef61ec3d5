import { buildSiu } from '../../integrations/hospital/hl7';
import { buildOrders, buildResults, type Identity } from '../../integrations/hospital/simulator/outbound';
import type { SimBooking, SimOrder } from '../../integrations/hospital/simulator/types';

/**
 * What a hospital's interface engine streams to Causeway in a day, in equal parts: appointment
 * updates (SIU^S14), orders (ORM^O01 and OML^O21, with FT1 prices) and lab results (ORU^R01), each
 * with its own MSH-10. Built with the HIS simulator's builders; every patient field is synthetic.
 * The booking refs are unknown to Causeway, so after the ACK the dispatch of orders and results
 * stops at the visit lookup and marks the row failed (appointment updates apply as no-ops).
 */
export const HL7_FACILITY = 'bench-hl7';

export function buildHl7Mix(count: number, tag: string): string[] {
  const identity: Identity = { application: 'HIS', facility: HL7_FACILITY, localOffsetMinutes: 480 };
  const start = new Date(Date.now() + 86_400_000).toISOString();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const bookingRef = `BH${tag}${String(i).padStart(7, '0')}`;
    const booking: SimBooking = {
      bookingRef,
      slotId: `bench-hl7:HD001:${i}`,
      patient: { id: `BP${String(i).padStart(7, '0')}`, assigningAuthority: 'HIS' },
      doctorId: 'HD001',
      departmentId: 'GEN',
      status: 'booked',
      visitNumber: `V${String(i).padStart(6, '0')}`,
      arrivedAt: start,
      calledAt: undefined,
      paid: {},
    };
    const order: SimOrder = {
      orderId: `O${tag}${i}`,
      bookingRef,
      currency: 'CNY',
      totalMinor: 4500,
      resultsSent: false,
      items: [{ code: 'CBC', text: 'Blood count', priceMinor: 4500, quantity: 1 }],
    };
    switch (i % 4) {
      case 0:
        out.push(
          buildSiu('S14', {
            sendingApplication: identity.application,
            sendingFacility: identity.facility,
            receivingApplication: 'CAUSEWAY',
            receivingFacility: 'CAUSEWAY',
            bookingRef,
            fillerAppointmentId: booking.slotId,
            slotStart: start,
            durationMinutes: 15,
            doctor: { id: 'HD001' },
            department: { code: 'GEN' },
            patient: booking.patient,
          }),
        );
        break;
      case 1:
        out.push(buildOrders(identity, booking, order, 'ORM'));
        break;
      case 2:
        out.push(buildOrders(identity, booking, order, 'OML'));
        break;
      default:
        out.push(
          buildResults(identity, booking, order, [
            { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
            { code: 'WBC', text: 'White cells', value: '6.1', units: '10*9/L', referenceRange: '3.5-9.5', abnormalFlag: 'N' },
          ]),
        );
    }
  }
  return out;
}
