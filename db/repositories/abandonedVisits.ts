import { z } from 'zod';
import type { SqlRunner } from './slots';

/**
 * Money held for visits whose workflow may have ended without running its compensation (an
 * operator terminated it): paid payments of visits not yet in a terminal stage, with what is still
 * unrefunded, and whether the service behind each payment was delivered (the patient arrived for the
 * registration fee; results were stored for an order).
 */
export const HeldMoney = z
  .object({
    booking_ref: z.string(),
    workflow_id: z.string(),
    slot_id: z.string(),
    stage: z.string(),
    out_trade_no: z.string(),
    step: z.string(),
    unrefunded_minor: z.union([z.string(), z.number()]).transform(Number),
    delivered: z.boolean(),
  })
  .transform((r) => ({
    bookingRef: r.booking_ref,
    workflowId: r.workflow_id,
    slotId: r.slot_id,
    stage: r.stage,
    outTradeNo: r.out_trade_no,
    step: r.step,
    unrefundedMinor: r.unrefunded_minor,
    delivered: r.delivered,
  }));
export type HeldMoney = z.infer<typeof HeldMoney>;

const LIVE_STAGES = ['holding', 'awaiting_payment', 'booked', 'queued', 'called'];

/**
 * Visits in a live stage, last changed before `before`, with their paid-but-unrefunded payments (oldest
 * first); of one hospital when `institutionId` is given (an operator sweeping one hospital).
 */
export async function heldMoneyOfStaleVisits(db: SqlRunner, before: Date, limit: number, institutionId?: string): Promise<HeldMoney[]> {
  const rows: unknown = await db.query(
    `SELECT v.booking_ref, v.workflow_id, v.slot_id, v.stage, p.out_trade_no, p.step,
            p.amount_minor - p.refunded_minor AS unrefunded_minor,
            CASE WHEN p.step = 'registration' THEN v.stage IN ('queued', 'called')
                 ELSE EXISTS (SELECT 1 FROM visit_results r WHERE r.booking_ref = v.booking_ref AND 'order-' || r.order_id = p.step)
            END AS delivered
       FROM visits v JOIN payments p ON p.journey_id = v.workflow_id
      WHERE v.stage = ANY($1) AND v.updated_at < $2 AND ($4::text IS NULL OR v.institution_id = $4)
        AND p.status IN ('paid', 'partially_refunded') AND p.refunded_minor < p.amount_minor
      ORDER BY v.updated_at
      LIMIT $3`,
    [LIVE_STAGES, before, limit, institutionId ?? null],
  );
  return z.array(HeldMoney).parse(rows);
}

/** Stages in which the visit holds a booking at the HIS that nothing used: the patient has not arrived. */
export const HIS_BOOKED_STAGES = ['holding', 'awaiting_payment', 'booked'];

export const VisitHisBooking = z
  .object({
    booking_ref: z.string(),
    slot_id: z.string(),
    doctor_id: z.string(),
    department_id: z.string(),
    starts_at: z.date(),
    duration_min: z.number().int(),
    user_ref: z.string(),
  })
  .transform((r) => ({
    bookingRef: r.booking_ref,
    slotId: r.slot_id,
    doctorId: r.doctor_id,
    departmentId: r.department_id,
    slotStart: r.starts_at.toISOString(),
    durationMinutes: r.duration_min,
    patientRef: r.user_ref,
  }));
export type VisitHisBooking = z.infer<typeof VisitHisBooking>;

/**
 * The booking as the HIS knows it (what SIU^S15 names), rebuilt from PostgreSQL for a visit whose
 * workflow input is gone (terminated); only while the visit is in a stage that holds one.
 */
export async function hisBookingOfVisit(db: SqlRunner, bookingRef: string): Promise<VisitHisBooking | undefined> {
  const rows: unknown = await db.query(
    `SELECT v.booking_ref, v.slot_id, v.doctor_id, s.department_id, s.starts_at, s.duration_min, u.user_ref
       FROM visits v JOIN slots s ON s.id = v.slot_id JOIN users u ON u.id = v.user_id
      WHERE v.booking_ref = $1 AND v.stage = ANY($2)`,
    [bookingRef, HIS_BOOKED_STAGES],
  );
  return z.array(VisitHisBooking).parse(rows)[0];
}

/** The workflow of a visit, by its booking ref (operators act on any visit). */
export async function visitOfBookingRef(db: SqlRunner, bookingRef: string): Promise<{ workflowId: string } | undefined> {
  const rows = z
    .array(z.object({ workflow_id: z.string() }))
    .parse(await db.query('SELECT workflow_id FROM visits WHERE booking_ref = $1', [bookingRef]));
  return rows[0] ? { workflowId: rows[0].workflow_id } : undefined;
}
