import { defineUpdate } from '@temporalio/workflow';
import type { RefundOutcome, RefundRequest } from './types';

/** From the POS: refund these units. Answers the refund as done, or a refusal (validation). */
export const refundUnitsUpdate = defineUpdate<RefundOutcome, [RefundRequest]>('refundUnits');
