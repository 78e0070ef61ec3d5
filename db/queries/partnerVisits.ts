import type { DataSource } from 'typeorm';
import { z } from 'zod';

/** The partner-facing reads of a visit that are not its projection: ownership, payments, results, catalogue. */

const OwnVisit = z.object({
  booking_ref: z.string(),
  institution_id: z.string(),
  user_id: z.string(),
  doctor_id: z.string(),
  slot_id: z.string(),
  time_zone: z.string(),
  starts_at: z.date(),
  stage: z.string(),
});
export type OwnVisit = z.infer<typeof OwnVisit>;

/**
 * The columns and joins that find a user's own visit; the read-model queries extend them so that one
 * round trip both checks ownership and reads the projection (db/queries/visitView, doctorQueueView).
 */
export const OWN_VISIT_COLUMNS = 'v.booking_ref, v.institution_id, v.user_id, v.doctor_id, v.slot_id, v.stage, i.time_zone, s.starts_at';
export const OWN_VISIT_FROM = 'visits v JOIN institutions i ON i.id = v.institution_id JOIN slots s ON s.id = v.slot_id';
export const OWN_VISIT_WHERE = 'v.booking_ref = $1 AND v.user_id = $2';

export function parseOwnVisit(row: unknown): OwnVisit {
  return OwnVisit.parse(row);
}

/** The user's own visit, or null (someone else's visit is indistinguishable from none). */
export async function findOwnVisit(db: DataSource, bookingRef: string, userId: string): Promise<OwnVisit | null> {
  const rows: unknown[] = await db.query(`SELECT ${OWN_VISIT_COLUMNS} FROM ${OWN_VISIT_FROM} WHERE ${OWN_VISIT_WHERE}`, [
    bookingRef,
    userId,
  ]);
  return rows[0] ? OwnVisit.parse(rows[0]) : null;
}

const PaymentRow = z.object({
  out_trade_no: z.string(),
  step: z.string(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  status: z.string(),
  qr_code: z.string().nullable(),
});
export type JourneyPayment = z.infer<typeof PaymentRow>;

export async function journeyPayments(db: DataSource, journeyId: string): Promise<JourneyPayment[]> {
  const rows: unknown[] = await db.query(
    'SELECT out_trade_no, step, amount_minor, currency, status, qr_code FROM payments WHERE journey_id = $1 ORDER BY created_at',
    [journeyId],
  );
  return z.array(PaymentRow).parse(rows);
}

const ResultRow = z.object({ order_id: z.string(), abnormal: z.boolean(), received_at: z.date(), results_enc: z.string() });
export type VisitResultRow = z.infer<typeof ResultRow>;

/** Results as stored (encrypted); the caller decrypts for the patient. */
export async function visitResults(db: DataSource, bookingRef: string): Promise<VisitResultRow[]> {
  const rows: unknown[] = await db.query(
    'SELECT order_id, abnormal, received_at, results_enc FROM visit_results WHERE booking_ref = $1 ORDER BY order_id',
    [bookingRef],
  );
  return z.array(ResultRow).parse(rows);
}

const DepartmentRow = z.object({ id: z.string(), name: z.string() });
export async function listDepartments(db: DataSource, institutionId: string): Promise<Array<z.infer<typeof DepartmentRow>>> {
  return z
    .array(DepartmentRow)
    .parse(await db.query('SELECT id, name FROM departments WHERE institution_id = $1 ORDER BY id', [institutionId]));
}

const DoctorRow = z.object({ id: z.string(), departmentId: z.string(), displayName: z.string(), title: z.string() });
export async function listDoctors(
  db: DataSource,
  institutionId: string,
  departmentId: string | undefined,
): Promise<Array<z.infer<typeof DoctorRow>>> {
  return z.array(DoctorRow).parse(
    await db.query(
      `SELECT id, department_id AS "departmentId", display_name AS "displayName", title FROM doctors
        WHERE institution_id = $1 AND ($2::text IS NULL OR department_id = $2) ORDER BY id`,
      [institutionId, departmentId ?? null],
    ),
  );
}
