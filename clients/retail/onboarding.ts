import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { workflowIds } from '../../domain/ids';
import { reviewDecisionSignal } from '../../workflows/retail/onboarding/definitions';
import type { MerchantOnboardingInput, ReviewDecision } from '../../workflows/retail/onboarding/types';

/** Starts the application's onboarding; a second start (a repeated application) is not an error. */
export async function startMerchantOnboarding(client: Client, taskQueue: string, input: MerchantOnboardingInput): Promise<void> {
  try {
    await client.workflow.start('merchantOnboarding', {
      taskQueue,
      workflowId: workflowIds.merchantOnboarding(input.applicationId),
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Sends an operator's review decision; false when the onboarding is no longer running. */
export async function sendReviewDecision(client: Client, applicationId: string, decision: ReviewDecision): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIds.merchantOnboarding(applicationId)).signal(reviewDecisionSignal, decision);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
