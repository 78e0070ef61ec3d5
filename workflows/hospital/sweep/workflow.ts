import { log, proxyActivities } from '@temporalio/workflow';
import { refundRequestNoFor } from '../../../domain/ids';
import type { HospitalActivities } from '../../../activities/hospital';
import type { PaymentActivities } from '../../../activities/payment';

const hospital = proxyActivities<Pick<HospitalActivities, 'findAbandonedVisits' | 'releaseSlot' | 'setVisitStage'>>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
const payments = proxyActivities<Pick<PaymentActivities, 'refundPayment'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export interface SweepInput {
  version: 1;
  /** Only visits that have not changed stage for this long (a live visit moves, or waits in a stage that holds no risk). */
  staleMs?: number;
  limit?: number;
}

export interface SweepOutcome {
  visits: number;
  refundedMinor: number;
}

/**
 * Gives back the money of visits an operator terminated. Terminate kills a workflow without running
 * its compensation, so a terminated visit can hold a paid fee for a service that will never happen.
 * Run by a Temporal Schedule and on demand by operators; every step is idempotent (the refund is
 * keyed on its request number), so overlapping runs do no harm. The HIS booking is not cancelled
 * here (the workflow's input, with the patient's HIS reference, is gone): the visit ends `failed`
 * for the hospital's operators to see.
 */
export async function sweepAbandonedVisits(input: SweepInput = { version: 1 }): Promise<SweepOutcome> {
  const found = await hospital.findAbandonedVisits({ staleMs: input.staleMs ?? 10 * 60_000, limit: input.limit ?? 200 });
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
    await hospital.setVisitStage({ bookingRef: visit.bookingRef, stage: 'failed' });
    log.info('abandoned visit swept', {
      bookingRef: visit.bookingRef,
      workflowStatus: visit.workflowStatus,
      refunds: visit.refunds.length,
    });
  }
  return { visits: found.length, refundedMinor };
}
