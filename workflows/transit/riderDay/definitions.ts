import { defineSignal } from '@temporalio/workflow';
import type { RiderDayTaps } from './types';

/** From the API's tap forwarder (signal-with-start): stored taps of this rider-day, by batch. */
export const riderDayTapsSignal = defineSignal<[RiderDayTaps]>('riderDayTaps');
