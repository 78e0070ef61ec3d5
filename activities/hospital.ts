import { heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { joinDoctorQueue } from '../clients/hospital/doctorQueue';
import { heldMoneyOfStaleVisits, hisBookingOfVisit } from '../db/repositories/abandonedVisits';
import { writeAuditOnce } from '../db/repositories/audit';
import { createSlotRepository } from '../db/repositories/slots';
import type { HisArrival, HisBooking, HisCancellation, HisGateway, HisPayment } from '../integrations/hospital/gateway/types';
import { DomainError, ErrorCode } from '../domain/errors';
import { endOfServiceDay } from '../domain/hospital/serviceDay';
import { upsertVisitView } from '../db/queries/visitView';
import { upsertDoctorQueueView } from '../db/queries/doctorQueueView';
import type { QueueConfig, QueueState } from '../domain/hospital/queue';
import type { VisitStatus } from '../workflows/hospital/visit/types';
import { withFailureMapping } from './failures';
import type { Notice, Notifier } from './notifications';

/** A visit whose workflow ended without compensating (terminated), and the money it still holds for nothing. */
export interface AbandonedVisit {
  bookingRef: string;
  workflowId: string;
  slotId: string;
  workflowStatus: string;
  refunds: Array<{ outTradeNo: string; amountMinor: number }>;
  /** The HIS booking to cancel (SIU^S15), when the visit ended before the patient arrived; absent otherwise. */
  his?: HisCancellation;
}

/** The audit action of an undo step a journey gave up on; operators list them by it. */
export const UNDO_GAVE_UP_ACTION = 'journey.undo.gave_up';

/** Workflow states in which no workflow code will ever run again, and none ran to compensate. */
const ENDED_WITHOUT_COMPENSATION = new Set(['TERMINATED', 'TIMED_OUT', 'FAILED']);

export interface HospitalActivityDeps {
  db: DataSource;
  /** The hospital's HIS, by institution id (one MLLP connection set per hospital). */
  his: (institutionId: string) => Promise<HisGateway>;
  notifier: Notifier;
  temporal: Client;
  taskQueue: string;
}

/**
 * The hospital journey's steps. HIS calls are idempotent through their deterministic MSH-10 control
 * ids (the HIS dedupes a resend); database steps are conditional updates; notices dedupe on their key.
 */
export function createHospitalActivities(deps: HospitalActivityDeps) {
  const slots = createSlotRepository(deps.db);
  const institutionOf = async (bookingRef: string): Promise<string> => {
    const rows: Array<{ institution_id: string }> = await deps.db.query('SELECT institution_id FROM visits WHERE booking_ref = $1', [
      bookingRef,
    ]);
    const row = rows[0];
    if (!row) throw new Error(`no visit ${bookingRef}`);
    return row.institution_id;
  };
  const his = async (bookingRef: string): Promise<HisGateway> => deps.his(await institutionOf(bookingRef));
  return withFailureMapping({
    /**
     * Asks the HIS to hold the slot. Retried while the HIS is unreachable, but never past the slot
     * start: a hold for a slot that has begun is worthless, so the attempt after it is a refusal and
     * the visit ends `rejected` (slot released, patient told) instead of retrying for ever.
     */
    async hisRequestHold(b: HisBooking): Promise<void> {
      if (Date.now() >= Date.parse(b.slotStart)) {
        throw new DomainError(ErrorCode.SlotRejectedByHis, 'the HIS did not confirm the hold before the slot started', {
          reason: 'slot_started',
        });
      }
      await (await his(b.bookingRef)).requestHold(b);
    },
    async hisConfirm(b: HisBooking): Promise<void> {
      await (await his(b.bookingRef)).confirmBooking(b);
    },
    async hisCancel(b: HisCancellation): Promise<void> {
      await (await his(b.bookingRef)).cancelBooking(b);
    },
    async hisNoShow(b: HisBooking): Promise<void> {
      await (await his(b.bookingRef)).reportNoShow(b);
    },
    async hisArrival(a: HisArrival): Promise<void> {
      await (await his(a.bookingRef)).registerArrival(a);
    },
    async hisPostPayment(p: HisPayment): Promise<void> {
      await (await his(p.bookingRef)).postPayment(p);
    },
    async confirmSlot(i: { slotId: string; bookingRef: string }): Promise<void> {
      await slots.confirmSlot(i.slotId, i.bookingRef);
    },
    /** Keeps the PostgreSQL hold alive while the registration payment is still pending. */
    async extendSlotHold(i: { slotId: string; bookingRef: string; heldUntilMs: number }): Promise<{ extended: boolean }> {
      return slots.extendHold(i.slotId, i.bookingRef, new Date(i.heldUntilMs));
    },
    async releaseSlot(i: { slotId: string; bookingRef: string }): Promise<void> {
      await slots.releaseSlot(i.slotId, i.bookingRef);
    },
    async setVisitStage(i: { bookingRef: string; stage: string }): Promise<void> {
      await deps.db.query('UPDATE visits SET stage = $2, updated_at = now() WHERE booking_ref = $1', [i.bookingRef, i.stage]);
    },
    /** The visit's read model: a snapshot older than the stored one (a retry, a reordering) changes nothing. */
    async projectVisit(i: { snapshot: VisitStatus; seq: number }): Promise<void> {
      await upsertVisitView(deps.db, { status: i.snapshot, seq: i.seq });
    },
    /** The doctor queue's read model, written once per batch of its loop; guarded by its seq like the visit's. */
    async projectDoctorQueue(i: {
      institutionId: string;
      doctorId: string;
      serviceDay: string;
      config: QueueConfig;
      state: QueueState;
      closing: boolean;
      seq: number;
    }): Promise<void> {
      await upsertDoctorQueueView(deps.db, i);
    },
    /**
     * The sweeper's search: visits in a live stage that have not moved for `staleMs` and hold paid
     * money, whose workflow is terminated (or otherwise ended without compensating). Terminate runs
     * no workflow code, so this is the path that gives that money back.
     */
    async findAbandonedVisits(i: { staleMs: number; limit: number; institutionId?: string }): Promise<AbandonedVisit[]> {
      const held = await heldMoneyOfStaleVisits(deps.db, new Date(Date.now() - i.staleMs), i.limit, i.institutionId);
      const byVisit = new Map<string, AbandonedVisit>();
      const ended = new Map<string, string | null>();
      for (const h of held) {
        heartbeat();
        if (!ended.has(h.workflowId)) {
          const d = await deps.temporal.workflow
            .getHandle(h.workflowId)
            .describe()
            .catch(() => undefined);
          ended.set(h.workflowId, d && ENDED_WITHOUT_COMPENSATION.has(d.status.name) ? d.status.name : null);
        }
        const status = ended.get(h.workflowId);
        if (!status) continue;
        const visit = byVisit.get(h.bookingRef) ?? {
          bookingRef: h.bookingRef,
          workflowId: h.workflowId,
          slotId: h.slotId,
          workflowStatus: status,
          refunds: [],
        };
        if (!h.delivered && h.unrefundedMinor > 0) visit.refunds.push({ outTradeNo: h.outTradeNo, amountMinor: h.unrefundedMinor });
        byVisit.set(h.bookingRef, visit);
      }
      for (const visit of byVisit.values()) {
        const booking = await hisBookingOfVisit(deps.db, visit.bookingRef);
        if (booking) visit.his = { ...booking, reasonCode: 'visit-abandoned' };
      }
      return [...byVisit.values()];
    },
    /**
     * An undo step gave up (the HIS stayed down, or refused): the journey ended without it, so an
     * operator has to finish it by hand. One audit entry per step, ids and codes only.
     */
    async recordUndoGaveUp(i: { journeyId: string; bookingRef: string; failed: Array<{ name: string; reason: string }> }): Promise<void> {
      for (const f of i.failed) {
        await writeAuditOnce(deps.db, {
          actor: 'system:hospital-visit',
          action: UNDO_GAVE_UP_ACTION,
          subject: i.journeyId,
          details: { bookingRef: i.bookingRef, step: f.name, reason: f.reason.slice(0, 64) },
        });
      }
    },
    async notifyUser(n: Notice): Promise<void> {
      await deps.notifier.notify(n);
    },
    /** The doctor's notice goes to the hospital side of the inbox, keyed by doctor (no patient data). */
    async notifyDoctor(i: { institutionId: string; doctorId: string; journeyId: string; orderId: string }): Promise<void> {
      await deps.notifier.notify({
        userRef: `doctor:${i.institutionId}:${i.doctorId}`,
        journeyId: i.journeyId,
        kind: 'results_ready_doctor',
        key: i.orderId,
        data: { orderId: i.orderId },
      });
    },
    async joinQueue(i: {
      institutionId: string;
      doctorId: string;
      serviceDay: string;
      bookingRef: string;
      arrivedAtMs: number;
    }): Promise<{ position: number | null; queueClosed?: boolean }> {
      const zones: Array<{ time_zone: string }> = await deps.db.query('SELECT time_zone FROM institutions WHERE id = $1', [
        i.institutionId,
      ]);
      const timeZone = zones[0]?.time_zone;
      if (!timeZone) throw new DomainError(ErrorCode.NotFound, `no institution ${i.institutionId}`);
      try {
        const joined = await joinDoctorQueue(
          deps.temporal,
          { institutionId: i.institutionId, doctorId: i.doctorId, serviceDay: i.serviceDay },
          // The first check-in of the day starts the queue; it closes by itself when the day ends.
          { taskQueue: deps.taskQueue, closeAtMs: endOfServiceDay(i.serviceDay, timeZone) },
          { bookingRef: i.bookingRef, arrivedAtMs: i.arrivedAtMs },
        );
        return { position: joined.position.status === 'waiting' ? joined.position.position : null };
      } catch (err) {
        // Checked in after the day's queue closed: nobody will call the patient; the visit ends `not_seen`.
        if (!(err instanceof DomainError && err.code === ErrorCode.QueueClosed)) throw err;
        log.warn('check-in after the doctor queue closed', { bookingRef: i.bookingRef, serviceDay: i.serviceDay });
        return { position: null, queueClosed: true };
      }
    },
  });
}

export type HospitalActivities = ReturnType<typeof createHospitalActivities>;
