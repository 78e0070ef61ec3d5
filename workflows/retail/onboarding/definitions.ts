import { defineSignal } from '@temporalio/workflow';
import type { ReviewDecision } from './types';

/** An operator approves or rejects an application waiting for review. */
export const reviewDecisionSignal = defineSignal<[ReviewDecision]>('reviewDecision');
