import { z } from 'zod';
import { HospitalPolicy } from '../../../domain/hospital/policy';
import { VISIT_STAGES } from './stages';

export { TERMINAL_VISIT_STAGES } from './stages';

export const VisitStage = z.enum(VISIT_STAGES);
export type VisitStage = z.infer<typeof VisitStage>;

/** Everything the journey needs, and nothing personal: the patient is a booking ref and a hashed user ref. */
export const VisitInput = z.object({
  version: z.literal(1),
  institutionId: z.string().min(1),
  bookingRef: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  slotId: z.string().min(1),
  doctorId: z.string().min(1),
  departmentId: z.string().min(1),
  slotStartMs: z.number().int(),
  durationMin: z.number().int().positive(),
  feeMinor: z.number().int().positive(),
  currency: z.string().length(3),
  userRef: z.string().min(1),
  timeZone: z.string().min(1),
  /** When the API took the slot hold in PostgreSQL. */
  heldAtMs: z.number().int(),
  policy: HospitalPolicy,
});
export type VisitInput = z.infer<typeof VisitInput>;

export const OrdersPlaced = z.object({
  version: z.literal(1),
  orderId: z.string().min(1).max(199),
  /** ORC-1 as a billing action; signals sent before it existed carry none and mean `new`. */
  action: z.enum(['new', 'cancel', 'change']).optional(),
  items: z.array(z.object({ code: z.string(), text: z.string(), amountMinor: z.number().int().nonnegative() })),
  currency: z.string().length(3),
  /** inbox_messages.id of the HL7 message: a redelivery of the same message is ignored. Absent before it existed. */
  inboxId: z.string().min(1).max(40).optional(),
});
export type OrdersPlaced = z.infer<typeof OrdersPlaced>;

export const ResultsReady = z.object({
  version: z.literal(1),
  orderId: z.string().min(1),
  abnormal: z.boolean(),
  /** inbox_messages.id of the HL7 message, as on OrdersPlaced. */
  inboxId: z.string().min(1).max(40).optional(),
});
export type ResultsReady = z.infer<typeof ResultsReady>;

export interface OrderView {
  orderId: string;
  amountMinor: number;
  currency: string;
  /** cancelled: withdrawn by the hospital before payment; refunded: withdrawn after payment and paid back. */
  status: 'awaiting_payment' | 'paid' | 'closed' | 'free' | 'cancelled' | 'refunded';
  outTradeNo: string | null;
  resultsDelivered: boolean;
}

/** The parts of a visit's status that the read model stores and the partner API shows unchanged. */
export const RegistrationShape = z.object({ outTradeNo: z.string(), status: z.string(), refundedMinor: z.number().int() });
export const OrderShape = z.object({
  orderId: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  status: z.string(),
  outTradeNo: z.string().nullable(),
  resultsDelivered: z.boolean(),
});

export interface VisitStatus {
  bookingRef: string;
  institutionId: string;
  stage: VisitStage;
  slotStartMs: number;
  amountDueMinor: number;
  currency: string;
  registration: { outTradeNo: string; status: 'awaiting_payment' | 'paid' | 'closed' | 'refunded' | 'not_started'; refundedMinor: number };
  queue: { position: number | null; etaMinutes: number | null; calledAt: string | null };
  orders: OrderView[];
  resultOrderIds: string[];
  notices: Array<{ kind: string; atMs: number }>;
  /** Why a visit ended `failed` (or was cancelled by an operator): a failure code, never personal data. */
  failureReason?: string;
}

export interface VisitOutcome {
  stage: VisitStage;
  refundedMinor: number;
  failureReason?: string;
}

/**
 * The answer of the cancel and check-in updates, given within a bound: `pending` means the visit
 * took the request and is still working on it (e.g. the HIS is slow); read the visit to follow it.
 */
export interface VisitUpdateAnswer {
  stage: string;
  pending: boolean;
  refundMinor?: number;
}
