import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { callNextPatient } from '../../clients/hospital/doctorQueue';
import { DomainError, ErrorCode } from '../../domain/errors';
import { orderActionOf, priceCharges } from '../../domain/hospital/orders';
import { resultStageOf } from '../../domain/hospital/resultStatus';
import { recordChannelBooking } from '../../db/queries/channelShare';
import { readVisitView } from '../../db/queries/visitView';
import { storeResultVersion } from '../../db/repositories/visitResults';
import { workflowIds } from '../../domain/ids';
import type { InboundDispatch } from '../../integrations/hospital/inbound';
import type { PiiCipher } from '../../platform/pii';
import { queueCalledSignal } from '../../workflows/hospital/queue/definitions';
import { ordersPlacedSignal, resultsReadySignal } from '../../workflows/hospital/visit/definitions';
import { serviceDayOf } from '../../domain/hospital/serviceDay';

/**
 * Applies a stored inbound HL7 message to its visit: orders and results become signals of the visit
 * workflow (results themselves are stored encrypted, never put in the workflow), a call from the
 * doctor's room becomes the visit's "called" and takes the patient out of the queue.
 * A message for a visit Causeway does not know fails the inbox row, for an operator to look at.
 */
export function hospitalDispatch(deps: { db: DataSource; pii: PiiCipher; temporal: Client }): InboundDispatch {
  const visitOf = async (institutionId: string, bookingRef: string) => {
    const rows: Array<{ doctor_id: string; slot_id: string; time_zone: string; starts_at: Date }> = await deps.db.query(
      `SELECT v.doctor_id, v.slot_id, i.time_zone, s.starts_at FROM visits v JOIN institutions i ON i.id = v.institution_id
       JOIN slots s ON s.id = v.slot_id WHERE v.booking_ref = $1 AND v.institution_id = $2`,
      [bookingRef, institutionId],
    );
    const row = rows[0];
    if (!row) throw new Error(`no visit ${bookingRef} at ${institutionId}`);
    return { handle: deps.temporal.workflow.getHandle(workflowIds.hospitalVisit(institutionId, bookingRef)), ...row };
  };

  const resultsDelivered = async (bookingRef: string, orderId: string): Promise<boolean> =>
    (await readVisitView(deps.db, bookingRef))?.status.resultOrderIds.includes(orderId) ?? false;

  return async (event, meta) => {
    // Only the institution the transport authenticated; never what a header names.
    const institutionId = meta.institutionId;
    switch (event.kind) {
      case 'orders-placed': {
        const visit = await visitOf(institutionId, event.bookingRef);
        for (const order of event.orders) {
          const orderId = order.placerOrderId ?? order.fillerOrderId;
          if (!orderId) throw new Error('order without an order id');
          const action = orderActionOf(order.orderControl);
          if (action === undefined || action === 'none') continue; // a status message moves no money
          // The parser refused what does not price, so this only restates its verdict.
          const priced = priceCharges(order.charges);
          if (!priced.ok) throw new DomainError(ErrorCode.Hl7Malformed, `${priced.field}: ${priced.reason}`, { field: priced.field });
          await visit.handle.signal(ordersPlacedSignal, {
            version: 1,
            inboxId: meta.inboxId,
            orderId,
            action,
            currency: priced.currency ?? 'CNY',
            items:
              order.charges.length > 0
                ? order.charges.map((c, i) => ({
                    code: c.code.code ?? c.type,
                    text: c.description ?? '',
                    amountMinor: priced.amountsMinor[i] ?? 0,
                  }))
                : order.items.map((i) => ({ code: i.service.code ?? '', text: i.service.text ?? '', amountMinor: 0 })),
          });
        }
        return;
      }
      case 'results-reported': {
        const visit = await visitOf(institutionId, event.bookingRef);
        for (const report of event.reports) {
          const orderId = report.placerOrderId ?? report.fillerOrderId;
          if (!orderId) throw new Error('result without an order id');
          const abnormal = report.observations.some((o) => o.abnormalFlags.some((f) => f !== 'N' && f !== ''));
          // Only a newer version replaces the stored one (a late preliminary never hides the final report).
          // The visit is told either way: it ignores results it already has.
          await storeResultVersion(deps.db, {
            bookingRef: event.bookingRef,
            orderId,
            resultsEnc: deps.pii.encrypt(JSON.stringify(report)),
            abnormal,
            stage: resultStageOf(report),
            inboxId: meta.inboxId,
          });
          try {
            await visit.handle.signal(resultsReadySignal, { version: 1, inboxId: meta.inboxId, orderId, abnormal });
          } catch (err) {
            // The visit ended after these results reached it: a redelivery (the first delivery's row was not
            // marked applied, its connection dropped) or the HIS resending them. What the patient reads is
            // stored above; anything else — results the visit never had — stays failed for an operator.
            if (err instanceof WorkflowNotFoundError && (await resultsDelivered(event.bookingRef, orderId))) continue;
            throw err;
          }
        }
        return;
      }
      case 'patient-updated': {
        // The HIS calls the patient into the room (ADT^A08 with the call time in PV1-44); an A08
        // without it is a demographic update, nothing to apply.
        if (!event.admittedAt) return;
        const visit = await visitOf(institutionId, event.bookingRef);
        const key = {
          institutionId: institutionId,
          doctorId: visit.doctor_id,
          serviceDay: serviceDayOf(visit.starts_at, visit.time_zone),
        };
        try {
          // MSH-10 is the call id: a resent A08 calls nobody new.
          const call = await callNextPatient(deps.temporal, key, callIdOf(event.header.controlId), event.bookingRef);
          if (call.bookingRef === event.bookingRef) return; // the queue tells the visit
        } catch (err) {
          // No queue that day (the check-in has not reached it) or closed: the visit still learns of the call.
          const noQueue = err instanceof DomainError && (err.code === ErrorCode.NotFound || err.code === ErrorCode.QueueClosed);
          if (!noQueue) throw err;
        }
        await visit.handle.signal(queueCalledSignal, { version: 1, calledAt: event.admittedAt });
        return;
      }
      case 'appointment-booked':
        // A booking the HIS made through another channel (ZBK): counted for the channel-share report,
        // once per appointment id; its time is when it was made, else when the HIS sent it.
        if (event.bookingChannel !== undefined)
          await recordChannelBooking(deps.db, {
            institutionId,
            appointmentId: event.bookingRef,
            channel: event.bookingChannel,
            bookedAt: event.bookedAt ?? event.header.sentAt,
            inboxId: meta.inboxId,
          });
        return;
      case 'appointment-modified':
      case 'appointment-cancelled':
      case 'appointment-no-show':
      case 'patient-registered':
      case 'payments-posted':
        return; // the HIS echoing what Causeway told it: stored in the inbox, nothing to apply
    }
  };
}

/** The queue's call ids are at most 64 characters; a longer MSH-10 is hashed to fit, still one id per message. */
function callIdOf(controlId: string): string {
  return controlId.length <= 64 ? controlId : createHash('sha256').update(controlId).digest('hex');
}

/** Most booking refs in one lookup; more waiting start another. */
const MAX_LOOKUP_BATCH = 500;

/**
 * The institution a booking ref's visit belongs to, if Causeway knows the visit (the intake's scope
 * check). Asked once per inbound message: lookups asked in the same turn of the event loop (messages
 * arriving together, which the inbox then group-commits) share one query.
 */
export function visitInstitution(db: Pick<DataSource, 'query'>): (bookingRef: string) => Promise<string | undefined> {
  type Waiter = { resolve: (institutionId: string | undefined) => void; reject: (err: unknown) => void };
  let pending: Map<string, Waiter[]> | undefined;
  const run = async (batch: Map<string, Waiter[]>): Promise<void> => {
    try {
      const rows: Array<{ booking_ref: string; institution_id: string }> = await db.query(
        'SELECT booking_ref, institution_id FROM visits WHERE booking_ref = ANY($1::text[])',
        [[...batch.keys()]],
      );
      const found = new Map(rows.map((r) => [r.booking_ref, r.institution_id]));
      for (const [ref, waiters] of batch) for (const w of waiters) w.resolve(found.get(ref));
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  };
  /** Sends the batch still gathering, once (the timer of a batch already sent when full does nothing). */
  const flush = (batch: Map<string, Waiter[]>): void => {
    if (pending !== batch) return;
    pending = undefined;
    void run(batch);
  };
  return (bookingRef) =>
    new Promise<string | undefined>((resolve, reject) => {
      let batch = pending;
      if (batch === undefined) {
        const fresh = new Map<string, Waiter[]>();
        pending = batch = fresh;
        setImmediate(() => flush(fresh));
      }
      const waiters = batch.get(bookingRef);
      if (waiters) waiters.push({ resolve, reject });
      else batch.set(bookingRef, [{ resolve, reject }]);
      if (batch.size >= MAX_LOOKUP_BATCH) flush(batch);
    });
}

/** An institution's IANA time zone (institutions.time_zone), cached: it changes rarely, and is read per message. */
export function institutionTimeZone(
  db: Pick<DataSource, 'query'>,
  cacheMs = 60_000,
): (institutionId: string) => Promise<string | undefined> {
  const cache = new Map<string, { at: number; zone: string | undefined }>();
  return async (institutionId) => {
    const hit = cache.get(institutionId);
    if (hit && Date.now() - hit.at < cacheMs) return hit.zone;
    const rows: Array<{ time_zone: string }> = await db.query('SELECT time_zone FROM institutions WHERE id = $1', [institutionId]);
    const zone = rows[0]?.time_zone;
    // Only a zone the runtime knows; anything else falls back to the configured offset.
    const valid = zone !== undefined && isKnownZone(zone) ? zone : undefined;
    cache.set(institutionId, { at: Date.now(), zone: valid });
    return valid;
  };
}

function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
