import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrdersPlaced, ResultsReady, VisitStatus } from './types';

/** From the partner app (through the API): the answer says what happened. */
export const cancelVisitUpdate = defineUpdate<{ stage: string; refundMinor: number }, [{ version: 1 }]>('cancelVisit');
export const checkInUpdate = defineUpdate<{ stage: string }, [{ version: 1; arrivedAtMs: number }]>('checkIn');
/** From the inbound HL7 pipeline (ORM/OML and ORU). */
export const ordersPlacedSignal = defineSignal<[OrdersPlaced]>('ordersPlaced');
export const resultsReadySignal = defineSignal<[ResultsReady]>('resultsReady');
export const visitStatusQuery = defineQuery<VisitStatus>('visitStatus');
