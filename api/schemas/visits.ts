import { z } from 'zod';
import { OrderShape, RegistrationShape, VisitStage } from '../../workflows/hospital/visit/types';

export const InstitutionParam = z.object({ institutionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export const BookingParam = z.object({ bookingRef: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) });

export const Department = z.object({ id: z.string(), name: z.string() }).meta({ id: 'Department' });
export const Doctor = z
  .object({ id: z.string(), departmentId: z.string(), displayName: z.string(), title: z.string() })
  .meta({ id: 'Doctor' });
export const FreeSlot = z
  .object({
    slotId: z.string(),
    doctorId: z.string(),
    departmentId: z.string(),
    startsAt: z.string(),
    durationMin: z.number().int(),
    feeMinor: z.number().int(),
    currency: z.string(),
  })
  .meta({ id: 'FreeSlot' });

export const SlotQuery = z.object({
  doctorId: z.string().optional(),
  departmentId: z.string().optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

export const BookVisitRequest = z
  .object({
    institutionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    slotId: z.string().min(1).max(200),
  })
  .meta({ id: 'BookVisitRequest' });
export type BookVisitRequest = z.infer<typeof BookVisitRequest>;

export const VisitCreated = z.object({ bookingRef: z.string(), stage: z.string(), heldUntil: z.string() }).meta({ id: 'VisitCreated' });

export const VisitStatusView = z
  .object({
    bookingRef: z.string(),
    institutionId: z.string(),
    stage: z.string().meta({ description: `one of ${VisitStage.options.join(', ')}` }),
    slotStart: z.string(),
    amountDueMinor: z.number().int(),
    currency: z.string(),
    registration: RegistrationShape,
    queue: z.object({ position: z.number().int().nullable(), etaMinutes: z.number().int().nullable(), calledAt: z.string().nullable() }),
    orders: z.array(OrderShape),
    resultOrderIds: z.array(z.string()),
    notices: z.array(z.object({ kind: z.string(), at: z.string() })),
    /** Why the visit ended `failed` (or was cancelled by an operator): a code such as `slot_taken`. */
    failureReason: z.string().optional(),
  })
  .meta({ id: 'VisitStatus' });

export const PaymentDue = z
  .object({
    payments: z.array(
      z.object({
        outTradeNo: z.string(),
        step: z.string(),
        amountMinor: z.number().int(),
        currency: z.string(),
        status: z.string(),
        qrCode: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'PaymentDue' });

export const QueueView = z
  .object({ status: z.string(), position: z.number().int().nullable(), etaMinutes: z.number().int().nullable() })
  .meta({ id: 'QueueView' });
export const QueueEvent = QueueView.extend({ stage: z.string() }).meta({
  id: 'QueueEvent',
  description: 'data of each `queue` server-sent event',
});
export const CheckInRequest = z.object({}).meta({ id: 'CheckInRequest' });
export const StageView = z
  .object({
    stage: z.string(),
    /** The visit took the request and is still working on it (e.g. the HIS is slow): follow it with GET /v1/visits/{ref}. */
    pending: z.boolean(),
    refundMinor: z.number().int().optional(),
  })
  .meta({ id: 'StageView' });
export const VisitResults = z
  .object({
    results: z.array(z.object({ orderId: z.string(), abnormal: z.boolean(), receivedAt: z.string(), report: z.unknown() })),
  })
  .meta({ id: 'VisitResults' });
