import { z } from 'zod';
import { buildAdt, buildOrderMessage, buildOru, type HeaderInput } from '../../integrations/hospital/hl7';
import { isNumeric } from '../../integrations/hospital/hl7/datatypes';

/**
 * Hospital events as JSON, for systems that cannot produce HL7. Each is turned into the HL7 message
 * the HIS would have sent and goes through the same inbound pipeline (inbox, duplicate control ids,
 * per-booking order, reprocessing), so there is one path to the visit workflow, not two.
 */
const Common = {
  /** The sender's unique id for this event: MSH-10, so a repeat is applied once. */
  eventId: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/),
  bookingRef: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  /** The hospital's patient id (PID-3). */
  patientId: z.string().min(1).max(40),
};

const Code = z.string().regex(/^[A-Za-z0-9._-]{1,20}$/);
const Text = z.string().min(1).max(200);

export const PatientCalledEvent = z.object({
  kind: z.literal('patient-called'),
  ...Common,
  calledAt: z.iso.datetime({ offset: true }),
  doctorId: z.string().min(1).max(40).optional(),
  room: z.string().max(20).optional(),
});

export const OrdersPlacedEvent = z.object({
  kind: z.literal('orders-placed'),
  ...Common,
  orderId: Code,
  currency: z.string().regex(/^[A-Z]{3}$/),
  items: z
    .array(
      z.object({
        code: Code,
        text: Text,
        quantity: z.number().int().min(1).max(999).default(1),
        unitPriceMinor: z.number().int().min(0).max(100_000_000),
      }),
    )
    .min(1)
    .max(50),
});

export const ResultsReportedEvent = z.object({
  kind: z.literal('results-reported'),
  ...Common,
  orderId: Code,
  service: z.object({ code: Code, text: Text }),
  observations: z
    .array(
      z.object({
        code: Code,
        text: Text,
        value: z.string().min(1).max(2_000),
        units: z.string().max(20).optional(),
        referenceRange: z.string().max(40).optional(),
        abnormalFlag: z.enum(['L', 'H', 'LL', 'HH', 'N', 'A', 'AA']).optional(),
      }),
    )
    .min(1)
    .max(200),
});

export const InstitutionEvent = z
  .discriminatedUnion('kind', [PatientCalledEvent, OrdersPlacedEvent, ResultsReportedEvent])
  .meta({ id: 'InstitutionEvent' });
export type InstitutionEvent = z.infer<typeof InstitutionEvent>;

export function institutionEventToHl7(event: InstitutionEvent, institutionId: string, now = new Date()): string {
  const header: HeaderInput = {
    sendingApplication: 'JSON',
    sendingFacility: institutionId,
    receivingApplication: 'CAUSEWAY',
    receivingFacility: 'CAUSEWAY',
    controlId: event.eventId,
    sentAt: now,
  };
  const visit = { bookingRef: event.bookingRef, patientClass: 'O', patient: { id: event.patientId } };
  switch (event.kind) {
    case 'patient-called':
      return buildAdt('A08', {
        ...header,
        ...visit,
        admittedAt: event.calledAt,
        ...(event.doctorId ? { doctor: { id: event.doctorId } } : {}),
        ...(event.room ? { department: { room: event.room } } : {}),
      });
    case 'orders-placed':
      return buildOrderMessage('ORM', {
        ...header,
        ...visit,
        orders: [
          {
            orderControl: 'NW',
            placerOrderId: event.orderId,
            items: event.items.map((i) => ({ service: { code: i.code, text: i.text } })),
            charges: event.items.map((i) => ({
              type: 'CG',
              code: { code: i.code, text: i.text },
              quantity: i.quantity,
              fillerOrderId: event.orderId,
              unitAmount: { amountMinor: i.unitPriceMinor, currency: event.currency },
              extendedAmount: { amountMinor: i.unitPriceMinor * i.quantity, currency: event.currency },
            })),
          },
        ],
      });
    case 'results-reported': {
      const at = now.toISOString();
      return buildOru({
        ...header,
        ...visit,
        reports: [
          {
            placerOrderId: event.orderId,
            service: event.service,
            observedAt: at,
            resultStatus: 'F',
            notes: [],
            observations: event.observations.map((o, i) => {
              const raw = o.value.trim();
              const numeric = isNumeric(raw);
              return {
                setId: String(i + 1),
                valueType: numeric ? 'NM' : 'ST',
                identifier: { code: o.code, text: o.text },
                value: numeric ? { type: 'numeric' as const, raw, number: Number(raw) } : { type: 'text' as const, text: raw },
                units: o.units === undefined ? undefined : { code: o.units },
                referenceRange: o.referenceRange,
                abnormalFlags: o.abnormalFlag === undefined ? [] : [o.abnormalFlag],
                status: 'F',
                observedAt: at,
                notes: [],
              };
            }),
          },
        ],
      });
    }
  }
}
