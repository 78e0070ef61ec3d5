export * from './provider';
export { AlipayPaymentProvider, AlipayProviderOptions, createAlipayProvider, NOTIFICATION_ACK } from './alipay';
