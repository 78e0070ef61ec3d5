import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { refundUnitsUpdate } from '../../workflows/retail/order/definitions';
import type { RefundOutcome, RefundRequest, RetailOrderInput } from '../../workflows/retail/order/types';

/** Starts the order's journey; a second start of the same order (the till retrying) is not an error. */
export async function startRetailOrder(client: Client, taskQueue: string, input: RetailOrderInput, requestHash: string): Promise<void> {
  try {
    await client.workflow.start('retailOrder', {
      taskQueue,
      workflowId: workflowIds.retailOrder(input.merchantId, input.orderRef),
      args: [input],
      memo: { requestHash },
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

const REFUSALS: ReadonlySet<string> = new Set(['invalid_state', 'already_refunded', 'unknown_unit', 'duplicate_unit', 'empty']);

/** Refunds units of a paid order through its journey; refusals come back as DomainErrors (409 / 422). */
export async function refundRetailOrder(client: Client, merchantId: string, orderRef: string, req: RefundRequest): Promise<RefundOutcome> {
  try {
    return await client.workflow.getHandle(workflowIds.retailOrder(merchantId, orderRef)).executeUpdate(refundUnitsUpdate, { args: [req] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      // The journey's refusals carry their reason as the failure type; anything else is the validator's.
      if (cause instanceof ApplicationFailure && cause.type && REFUSALS.has(cause.type))
        throw new DomainError(ErrorCode.Conflict, cause.message, { reason: cause.type });
      throw new DomainError(ErrorCode.ValidationFailed, cause?.message ?? 'refund refused', {
        fields: [{ field: 'body', message: cause?.message ?? 'refund refused' }],
      });
    }
    throw err;
  }
}
