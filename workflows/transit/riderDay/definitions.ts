import { defineSignal } from '@temporalio/workflow';
import type { PayRiderDebt, RetryRiderCharge, RiderDayTaps } from './types';

/** From the API's tap forwarder (signal-with-start): stored taps of this rider-day, by batch. */
export const riderDayTapsSignal = defineSignal<[RiderDayTaps]>('riderDayTaps');

/** From the partner API: the rider wants to pay what the day owes now, by QR code. */
export const payRiderDebtSignal = defineSignal<[PayRiderDebt]>('payRiderDebt');

/** From the tap forwarder: the rider tapped on a later day, so a refused charge is tried again. */
export const retryRiderChargeSignal = defineSignal<[RetryRiderCharge]>('retryRiderCharge');
