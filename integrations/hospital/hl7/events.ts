import { z } from 'zod';
import { Money } from '../../../domain/money';
import { Coded, Identifier, Location, Practitioner } from './datatypes';
import { ErrorLocation } from './errors';

/**
 * What the hospital adapter sees of an HL7 message: one validated event per message, a
 * discriminated union on `kind`. Raw segments never leave hl7/.
 *
 * Correlation with a Causeway booking (`bookingRef`):
 *  - SIU: SCH-1, the placer appointment id. Causeway places the appointment, so this is the
 *    field HL7 meant for our id; the HIS's own id is SCH-2 (filler appointment id).
 *  - ADT, ORM, OML, ORU, DFT: PV1-50, the alternate visit id, as a CX whose assigning authority
 *    is `CAUSEWAY` (configurable). PV1-19 stays the HIS's own visit number, which the HIS assigns
 *    at registration and we report separately; we set PV1-50 in the ADT^A04 we send and the HIS
 *    echoes it on every later message for that visit.
 */

/** 2.3 is read like 2.3.1: many hospital interfaces still send it, and what we read did not change between them. */
export const SUPPORTED_VERSIONS = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1'] as const;
export const Hl7Version = z.enum(SUPPORTED_VERSIONS);
export type Hl7Version = z.infer<typeof Hl7Version>;

export const ProcessingId = z.enum(['P', 'D', 'T']);
export type ProcessingId = z.infer<typeof ProcessingId>;

export const Hl7Header = z.object({
  messageType: z.string().min(1),
  triggerEvent: z.string().optional(),
  messageStructure: z.string().optional(),
  controlId: z.string().min(1),
  sendingApplication: z.string().optional(),
  /** MSH-4: the hospital id. */
  sendingFacility: z.string().min(1),
  receivingApplication: z.string().optional(),
  receivingFacility: z.string().optional(),
  sentAt: z.iso.datetime(),
  version: Hl7Version,
  processingId: ProcessingId,
});
export type Hl7Header = z.infer<typeof Hl7Header>;

/** Acknowledgements may come from systems that leave MSH-4 empty. */
export const AckHeader = Hl7Header.extend({ sendingFacility: z.string().optional() });
export type AckHeader = z.infer<typeof AckHeader>;

const appointmentFields = {
  header: Hl7Header,
  bookingRef: z.string().min(1),
  fillerAppointmentId: z.string().optional(),
  slotStart: z.iso.datetime().optional(),
  durationMinutes: z.number().nonnegative().optional(),
  doctor: Practitioner.optional(),
  department: Location.optional(),
  patientId: Identifier,
  /** SCH-7: why the patient comes. */
  appointmentReason: Coded.optional(),
  /** SCH-6: why this event happened (e.g. the cancellation reason). */
  eventReason: Coded.optional(),
  /** SCH-25, e.g. Booked, Cancelled, Noshow. */
  fillerStatus: z.string().optional(),
  /**
   * ZBK-1: the channel a booking the HIS made itself came through (window, phone, another app…);
   * absent on the bookings Causeway placed. See docs/channel-share.md.
   */
  bookingChannel: z.string().optional(),
  /** ZBK-2: when that booking was made. */
  bookedAt: z.iso.datetime().optional(),
};

export const AppointmentBooked = z.object({
  kind: z.literal('appointment-booked'),
  ...appointmentFields,
  slotStart: z.iso.datetime(),
});
export type AppointmentBooked = z.infer<typeof AppointmentBooked>;

export const AppointmentModified = z.object({
  kind: z.literal('appointment-modified'),
  ...appointmentFields,
  slotStart: z.iso.datetime(),
});
export type AppointmentModified = z.infer<typeof AppointmentModified>;

export const AppointmentCancelled = z.object({ kind: z.literal('appointment-cancelled'), ...appointmentFields });
export type AppointmentCancelled = z.infer<typeof AppointmentCancelled>;

export const AppointmentNoShow = z.object({ kind: z.literal('appointment-no-show'), ...appointmentFields });
export type AppointmentNoShow = z.infer<typeof AppointmentNoShow>;

const visitFields = {
  header: Hl7Header,
  bookingRef: z.string().min(1),
  patientId: Identifier,
  /** PV1-19, assigned by the HIS. */
  visitNumber: z.string().optional(),
  patientClass: z.string().optional(),
  department: Location.optional(),
  hospitalService: z.string().optional(),
  doctor: Practitioner.optional(),
  admittedAt: z.iso.datetime().optional(),
};

export const PatientRegistered = z.object({ kind: z.literal('patient-registered'), ...visitFields });
export type PatientRegistered = z.infer<typeof PatientRegistered>;

export const PatientUpdated = z.object({ kind: z.literal('patient-updated'), ...visitFields });
export type PatientUpdated = z.infer<typeof PatientUpdated>;

/** One FT1: a charge (CG), credit (CD), payment (PY) or adjustment (AJ). */
export const FinancialTransaction = z.object({
  setId: z.string().optional(),
  transactionId: z.string().optional(),
  transactionDate: z.iso.datetime().optional(),
  /** FT1-6, HL7 table 0017. */
  type: z.string().min(1),
  /** FT1-7. */
  code: Coded,
  description: z.string().optional(),
  /** FT1-10; a count of items, not money. */
  quantity: z.number().optional(),
  /** FT1-11: the line total. */
  extendedAmount: Money.optional(),
  /** FT1-12: the price of one item. */
  unitAmount: Money.optional(),
  fillerOrderId: z.string().optional(),
});
export type FinancialTransaction = z.infer<typeof FinancialTransaction>;

export const OrderItem = z.object({ service: Coded });
export type OrderItem = z.infer<typeof OrderItem>;

export const Order = z.object({
  /** ORC-1, HL7 table 0119: NW new, CA cancel, XO change, SC status… */
  orderControl: z.string().min(1),
  placerOrderId: z.string().optional(),
  fillerOrderId: z.string().optional(),
  orderingProvider: Practitioner.optional(),
  items: z.array(OrderItem),
  charges: z.array(FinancialTransaction),
});
export type Order = z.infer<typeof Order>;

export const OrdersPlaced = z.object({
  kind: z.literal('orders-placed'),
  header: Hl7Header,
  bookingRef: z.string().min(1),
  patientId: Identifier,
  orders: z.array(Order).min(1),
});
export type OrdersPlaced = z.infer<typeof OrdersPlaced>;

const NumberValue = z.object({ raw: z.string(), number: z.number() });

export const ObservationValue = z.discriminatedUnion('type', [
  /** NM: the exact string (significant digits matter in lab results) and its number. */
  z.object({ type: z.literal('numeric'), raw: z.string(), number: z.number() }),
  /** SN, e.g. `<^5` or `^1^:^128`. */
  z.object({
    type: z.literal('structured-numeric'),
    comparator: z.string().optional(),
    value: NumberValue.optional(),
    separator: z.string().optional(),
    value2: NumberValue.optional(),
  }),
  z.object({ type: z.literal('coded'), codes: z.array(Coded).min(1) }),
  /** ST / TX / FT with escapes decoded; repetitions and `\.br\` become newlines. */
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('datetime'), raw: z.string(), at: z.iso.datetime().optional() }),
  /** Anything else (ED, RP, CP…): decoded components of each repetition. */
  z.object({ type: z.literal('other'), repetitions: z.array(z.array(z.string())) }),
]);
export type ObservationValue = z.infer<typeof ObservationValue>;

export const Observation = z.object({
  setId: z.string().optional(),
  /** OBX-2, e.g. NM, CWE, FT. */
  valueType: z.string().optional(),
  identifier: Coded,
  subId: z.string().optional(),
  value: ObservationValue.optional(),
  units: Coded.optional(),
  referenceRange: z.string().optional(),
  abnormalFlags: z.array(z.string()),
  /** OBX-11, HL7 table 0085: F final, P preliminary, C corrected… */
  status: z.string().min(1),
  observedAt: z.iso.datetime().optional(),
  notes: z.array(z.string()),
});
export type Observation = z.infer<typeof Observation>;

export const ResultReport = z.object({
  placerOrderId: z.string().optional(),
  fillerOrderId: z.string().optional(),
  service: Coded,
  observedAt: z.iso.datetime().optional(),
  /** OBR-25, HL7 table 0123. */
  resultStatus: z.string().optional(),
  observations: z.array(Observation),
  notes: z.array(z.string()),
});
export type ResultReport = z.infer<typeof ResultReport>;

export const ResultsReported = z.object({
  kind: z.literal('results-reported'),
  header: Hl7Header,
  bookingRef: z.string().min(1),
  patientId: Identifier,
  reports: z.array(ResultReport).min(1),
});
export type ResultsReported = z.infer<typeof ResultsReported>;

export const PaymentsPosted = z.object({
  kind: z.literal('payments-posted'),
  header: Hl7Header,
  bookingRef: z.string().min(1),
  patientId: Identifier,
  transactions: z.array(FinancialTransaction).min(1),
});
export type PaymentsPosted = z.infer<typeof PaymentsPosted>;

export const AckCode = z.enum(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);
export type AckCode = z.infer<typeof AckCode>;

export const AckError = z.object({
  /** Table 0357 code (ERR-3.1 in v2.5+, ERR-1.4.1 before). */
  code: z.string().optional(),
  text: z.string().optional(),
  /** ERR-4, table 0516 (v2.5+ only). */
  severity: z.string().optional(),
  location: ErrorLocation.optional(),
  diagnostic: z.string().optional(),
  userMessage: z.string().optional(),
});
export type AckError = z.infer<typeof AckError>;

export const Acknowledgement = z.object({
  kind: z.literal('ack'),
  header: AckHeader,
  ackCode: AckCode,
  /** MSA-2; empty when the acknowledged message had no readable MSH-10. */
  ackedControlId: z.string(),
  text: z.string().optional(),
  errors: z.array(AckError),
});
export type Acknowledgement = z.infer<typeof Acknowledgement>;

export const Hl7Event = z.discriminatedUnion('kind', [
  AppointmentBooked,
  AppointmentModified,
  AppointmentCancelled,
  AppointmentNoShow,
  PatientRegistered,
  PatientUpdated,
  OrdersPlaced,
  ResultsReported,
  PaymentsPosted,
  Acknowledgement,
]);
export type Hl7Event = z.infer<typeof Hl7Event>;
export type Hl7EventKind = Hl7Event['kind'];
