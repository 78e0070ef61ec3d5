import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PaymentNotified, PaymentView } from './types';

/** The verified notification from the payment platform (sent by the API after storing it). */
export const paymentNotifiedSignal = defineSignal<[PaymentNotified]>('paymentNotified');
/** The journey gave up on this payment (the patient cancelled before paying). */
export const cancelPaymentSignal = defineSignal('cancelPayment');
export const paymentViewQuery = defineQuery<PaymentView>('paymentView');
