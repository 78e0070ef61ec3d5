import { z } from 'zod';
import { AmountMinor, CurrencyCode } from '../../../domain/money';

/**
 * Causeway → HIS, as the visit workflow's activities see it. Every call is idempotent: its MSH-10
 * is derived from the booking ref and the step (see controlId.ts), so a retried activity resends
 * the same message and the HIS drops the repeat.
 *
 * Patients travel as `patientRef`, an opaque Causeway id (PID-3, authority CAUSEWAY): no name,
 * phone or ID number ever goes to the HIS through this interface.
 */

const Ref = z.string().min(1).max(64);

/** One booking as the HIS sees it. The slot id goes in SCH-2 (filler appointment id): the HIS issued it. */
export const HisBooking = z.object({
  bookingRef: Ref,
  slotId: Ref,
  doctorId: Ref,
  departmentId: Ref,
  slotStart: z.iso.datetime(),
  durationMinutes: z.number().int().positive(),
  patientRef: Ref,
});
export type HisBooking = z.infer<typeof HisBooking>;

export const HisCancellation = HisBooking.extend({
  /** Why (SCH-6), a code such as `patient-request` or `payment-timeout`; free text has no place here. */
  reasonCode: z.string().min(1).max(40).optional(),
});
export type HisCancellation = z.infer<typeof HisCancellation>;

export const HisArrival = z.object({
  bookingRef: Ref,
  patientRef: Ref,
  doctorId: Ref,
  departmentId: Ref,
  /** Default: now. */
  arrivedAt: z.iso.datetime().optional(),
});
export type HisArrival = z.infer<typeof HisArrival>;

export const HisPayment = z.object({
  bookingRef: Ref,
  patientRef: Ref,
  /** The HIS order paid for (FT1-23), e.g. the registration fee's order or a doctor's lab order. */
  orderId: Ref,
  amountMinor: AmountMinor.refine((n) => n > 0, 'a payment is positive'),
  currency: CurrencyCode,
  /** The payment platform's trade number (FT1-2), for the HIS's reconciliation. */
  paymentRef: Ref.optional(),
  paidAt: z.iso.datetime().optional(),
});
export type HisPayment = z.infer<typeof HisPayment>;

export const HisReceipt = z.object({
  /** MSH-10 of the message the HIS accepted. */
  controlId: z.string(),
});
export type HisReceipt = z.infer<typeof HisReceipt>;

/**
 * Failures, all DomainError:
 *  - requestHold refused (AE/AR) → SlotRejectedByHis; any other call refused → Hl7Rejected. Not retryable.
 *  - no connection, no ACK in time, an unreadable ACK → CounterpartUnavailable. Retryable: the
 *    resend carries the same MSH-10.
 * A refusal answers that MSH-10 for good (an HIS answers a resend from its dedupe cache), so
 * repeating a refused step gets the same refusal; holding another slot is another step.
 */
export interface HisGateway {
  /** SIU^S12, filler status Pending: the slot is held for this booking until the fee is paid. */
  requestHold(input: HisBooking): Promise<HisReceipt>;
  /** SIU^S14, filler status Booked: the fee is paid. */
  confirmBooking(input: HisBooking): Promise<HisReceipt>;
  /** SIU^S15: the hold or booking is released. */
  cancelBooking(input: HisCancellation): Promise<HisReceipt>;
  /** SIU^S26: the patient did not come; the slot is released. */
  reportNoShow(input: HisBooking): Promise<HisReceipt>;
  /** ADT^A04 with the booking ref in PV1-50: the patient checked in and joins the doctor's queue. */
  registerArrival(input: HisArrival): Promise<HisReceipt>;
  /** DFT^P03 with one FT1 (type PY): money collected on the phone for an order. */
  postPayment(input: HisPayment): Promise<HisReceipt>;
}
