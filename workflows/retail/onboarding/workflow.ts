import { RetryState } from '@temporalio/common';
import { ActivityFailure, condition, proxyActivities, setHandler, TimeoutFailure, upsertSearchAttributes } from '@temporalio/workflow';
import type { MerchantOnboardingActivities } from '../../../activities/merchantOnboarding';
import { decideApplication, type CheckName, type CheckResult, type NamedCheck } from '../../../domain/retail/onboarding';
import { Stage, Vertical } from '../../searchAttributes';
import { reviewDecisionSignal } from './definitions';
import type { MerchantOnboardingInput, MerchantOnboardingOutcome, ReviewDecision } from './types';

// Our own database: retried until it answers.
const local = proxyActivities<
  Pick<
    MerchantOnboardingActivities,
    'checkUsccFormat' | 'checkDistrict' | 'recordApplicationStatus' | 'issueMerchantCredentials' | 'activateMerchantStore'
  >
>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** The activity gave up because its window closed (the counterpart never answered), not because of a refusal. */
function windowClosed(err: unknown): boolean {
  return err instanceof ActivityFailure && (err.retryState === RetryState.TIMEOUT || err.cause instanceof TimeoutFailure);
}

/**
 * Merchant onboarding (`merchant-onboarding/<application-id>`):
 *  1. every check runs, each an activity: the code offline (then the registry, which only a
 *     well-formed code is worth asking), the legal representative with the identity provider, the
 *     district; a counterpart still down after its window asks for review instead of deciding;
 *  2. decided by domain/retail/onboarding.ts: rejected naming every failed check, or a review, or approved;
 *  3. a review waits for an operator's signal up to its timeout, then the application expires;
 *  4. approved: the credentials are issued (the secret stays encrypted in PostgreSQL), the merchant
 *     becomes an institution (its service window opens) and the store is active.
 * It ends in a named stage (active, rejected, expired), never as a failed workflow.
 */
export async function merchantOnboarding(input: MerchantOnboardingInput): Promise<MerchantOnboardingOutcome> {
  const ref = { applicationId: input.applicationId };
  const counterparts = proxyActivities<Pick<MerchantOnboardingActivities, 'checkRegistry' | 'checkLegalRepresentative'>>({
    startToCloseTimeout: '20s',
    scheduleToCloseTimeout: input.checkWindowMs,
    retry: { initialInterval: '1s', maximumInterval: '5m', backoffCoefficient: 2 },
  });
  const review: { open: boolean; decision?: ReviewDecision } = { open: false };
  // The first decision made while the application is in review counts; later ones change nothing.
  setHandler(reviewDecisionSignal, (d) => {
    if (review.open && !review.decision) review.decision = d;
  });
  upsertSearchAttributes({ [Vertical.name]: ['retail'], [Stage.name]: ['checking'] });

  const guarded = async (check: CheckName, run: () => Promise<CheckResult>): Promise<CheckResult> => {
    try {
      return await run();
    } catch (err) {
      // Our outage (or a fault of ours) never decides an application: a person looks at it.
      return { check, outcome: 'review', reason: windowClosed(err) ? 'unavailable' : 'check_error' };
    }
  };
  const codeChecks = async (): Promise<CheckResult[]> => {
    const format = await guarded('uscc_format', () => local.checkUsccFormat(ref));
    if (format.outcome !== 'pass') return [format];
    return [format, await guarded('registry', () => counterparts.checkRegistry(ref))];
  };
  const results = (
    await Promise.all([
      codeChecks(),
      guarded('legal_representative', () => counterparts.checkLegalRepresentative(ref)).then((r) => [r]),
      guarded('district', () => local.checkDistrict(ref)).then((r) => [r]),
    ])
  ).flat();

  const reject = async (failed: NamedCheck[], reviewedBy?: string): Promise<MerchantOnboardingOutcome> => {
    upsertSearchAttributes({ [Stage.name]: ['rejected'] });
    await local.recordApplicationStatus({ ...ref, status: 'rejected', failed, ...(reviewedBy ? { reviewedBy } : {}) });
    return { stage: 'rejected', failed };
  };

  const decided = decideApplication(results);
  if (decided.decision === 'reject') return reject(decided.failed);
  if (decided.decision === 'review') {
    // Open before the status is written: the operator's signal may arrive as soon as the row says `review`.
    review.open = true;
    upsertSearchAttributes({ [Stage.name]: ['review'] });
    await local.recordApplicationStatus({ ...ref, status: 'review', reviewReasons: decided.reasons });
    if (!(await condition(() => review.decision !== undefined, input.reviewTimeoutMs))) {
      const reason = 'no review decision before the review timeout';
      upsertSearchAttributes({ [Stage.name]: ['expired'] });
      await local.recordApplicationStatus({ ...ref, status: 'expired', reason });
      return { stage: 'expired', reason };
    }
    const d = review.decision;
    if (!d) throw new Error('unreachable: the review condition held without a decision');
    if (d.decision === 'reject') return reject([{ check: 'manual_review', reason: d.note ?? 'rejected by an operator' }], d.operatorId);
    await local.recordApplicationStatus({ ...ref, status: 'approved', reviewedBy: d.operatorId });
  } else {
    await local.recordApplicationStatus({ ...ref, status: 'approved' });
  }

  upsertSearchAttributes({ [Stage.name]: ['issuing'] });
  await local.issueMerchantCredentials(ref);
  const { merchantId } = await local.activateMerchantStore(ref);
  upsertSearchAttributes({ [Stage.name]: ['active'] });
  return { stage: 'active', merchantId };
}
