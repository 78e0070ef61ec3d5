export { AlipayPaymentProvider, AlipayProviderOptions, createAlipayProvider, NOTIFICATION_ACK } from './client';
