import { findRiderById, markAgreementEnded } from '../db/repositories/transitRiders';
import type { SqlRunner } from '../db/repositories/slots';
import { DomainError, ErrorCode } from '../domain/errors';
import type { RiderStatus } from '../domain/transit/enrolment';
import type { PaymentProvider } from '../integrations/payment/provider';
import { withFailureMapping } from './failures';

export interface CompleteCancellationInput {
  version: 1;
  riderId: string;
}

/**
 * The end of a cancellation: once the rider's last unsettled day is charged, the withholding
 * agreement is unsigned at the payment platform and the rider is `cancelled`. Idempotent: the unsign
 * is (a second one answers `changed: false`) and the status change is conditional. The settlement
 * step calls it when a cancelling rider's last unsettled day settles; operators may call it too.
 */
export function createTransitEnrolmentActivities(deps: { db: SqlRunner; payments: PaymentProvider }) {
  return withFailureMapping({
    async completeRiderCancellation(input: CompleteCancellationInput): Promise<{ status: RiderStatus }> {
      return completeCancellation(deps, input.riderId);
    },
  });
}

/** Unsigns a cancelling rider's agreement and marks them cancelled; anything else is left as it is. */
export async function completeCancellation(
  deps: { db: SqlRunner; payments: PaymentProvider },
  riderId: string,
): Promise<{ status: RiderStatus }> {
  const rider = await findRiderById(deps.db, riderId);
  if (!rider) throw new DomainError(ErrorCode.NotFound, 'no such rider');
  if (rider.status !== 'cancelling') return { status: rider.status };
  if (rider.agreement_no) {
    await deps.payments.unsignAgreement({ agreementNo: rider.agreement_no });
    await markAgreementEnded(deps.db, rider.agreement_no);
  }
  return { status: (await findRiderById(deps.db, riderId))?.status ?? rider.status };
}
export type TransitEnrolmentActivities = ReturnType<typeof createTransitEnrolmentActivities>;
