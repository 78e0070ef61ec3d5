import { log, patched, proxyActivities } from '@temporalio/workflow';
import { refundRequestNoFor } from '../../../domain/ids';
import type { HospitalActivities } from '../../../activities/hospital';
import type { PaymentActivities } from '../../../activities/payment';
import { failureReason } from '../../shared/compensation';

const hospital = proxyActivities<Pick<HospitalActivities, 'findAbandonedVisits' | 'releaseSlot' | 'setVisitStage' | 'recordUndoGaveUp'>>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// Bounded: an HIS that stays down must not hold the sweep (and the refunds of the visits after it) for ever.
const his = proxyActivities<Pick<HospitalActivities, 'hisCancel'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2, maximumAttempts: 6 },
});
const payments = proxyActivities<Pick<PaymentActivities, 'refundPayment'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** patched() id: sweeps cancel the HIS booking (SIU^S15), a command the first sweeps did not send. */
const SWEEP_HIS_CANCEL = 'sweep-his-cancel';

export interface SweepInput {
  version: 1;
  /** Only visits that have not changed stage for this long (a live visit moves, or waits in a stage that holds no risk). */
  staleMs?: number;
  limit?: number;
  /** Only this hospital's visits (an operator's targeted sweep); every hospital's when absent. */
  institutionId?: string;
}

export interface SweepOutcome {
  visits: number;
  refundedMinor: number;
}

/**
 * Gives back the money of visits an operator terminated. Terminate kills a workflow without running
 * its compensation, so a terminated visit can hold a paid fee for a service that will never happen.
 * Run by a Temporal Schedule and on demand by operators; every step is idempotent (the refund is
 * keyed on its request number, the HIS cancel on its MSH-10), so overlapping runs do no harm. A visit
 * that ended before the patient arrived also has its HIS booking cancelled (SIU^S15, rebuilt from
 * PostgreSQL: the workflow's input is gone); the visit ends `failed` for operators to see.
 */
export async function sweepAbandonedVisits(input: SweepInput = { version: 1 }): Promise<SweepOutcome> {
  const found = await hospital.findAbandonedVisits({
    staleMs: input.staleMs ?? 10 * 60_000,
    limit: input.limit ?? 200,
    ...(input.institutionId ? { institutionId: input.institutionId } : {}),
  });
  let refundedMinor = 0;
  for (const visit of found) {
    for (const r of visit.refunds) {
      await payments.refundPayment({
        outTradeNo: r.outTradeNo,
        outRequestNo: refundRequestNoFor(r.outTradeNo, 'swept'),
        amountMinor: r.amountMinor,
        reason: 'visit ended by an operator',
      });
      refundedMinor += r.amountMinor;
    }
    await hospital.releaseSlot({ slotId: visit.slotId, bookingRef: visit.bookingRef });
    // The visit held an HIS booking the patient never used: cancel it (idempotent on its MSH-10).
    if (visit.his && patched(SWEEP_HIS_CANCEL)) {
      try {
        await his.hisCancel(visit.his);
      } catch (err) {
        // Refused or the HIS stayed down: the money is back and the slot free; the HIS side is left to operators.
        const reason = failureReason(err);
        log.warn('abandoned visit: HIS cancel gave up', { bookingRef: visit.bookingRef, reason });
        await hospital.recordUndoGaveUp({ journeyId: visit.workflowId, bookingRef: visit.bookingRef, failed: [{ name: 'his', reason }] });
      }
    }
    await hospital.setVisitStage({ bookingRef: visit.bookingRef, stage: 'failed' });
    log.info('abandoned visit swept', {
      bookingRef: visit.bookingRef,
      workflowStatus: visit.workflowStatus,
      refunds: visit.refunds.length,
    });
  }
  return { visits: found.length, refundedMinor };
}
