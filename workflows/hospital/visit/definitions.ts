import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrdersPlaced, ResultsReady, VisitStatus, VisitUpdateAnswer } from './types';

/**
 * From the partner app (through the API): the answer says what happened, or `pending` when it is
 * still happening after UPDATE_ANSWER_MS. A refusal is an ApplicationFailure whose type is the
 * error code (`invalid_state`), so the API maps it by type.
 */
export const cancelVisitUpdate = defineUpdate<VisitUpdateAnswer, [{ version: 1 }]>('cancelVisit');
export const checkInUpdate = defineUpdate<VisitUpdateAnswer, [{ version: 1; arrivedAtMs: number }]>('checkIn');
/** How long an update handler waits for its effect before answering `pending`. */
export const UPDATE_ANSWER_MS = 8_000;
/** From the inbound HL7 pipeline (ORM/OML and ORU). */
export const ordersPlacedSignal = defineSignal<[OrdersPlaced]>('ordersPlaced');
export const resultsReadySignal = defineSignal<[ResultsReady]>('resultsReady');
export const visitStatusQuery = defineQuery<VisitStatus>('visitStatus');
