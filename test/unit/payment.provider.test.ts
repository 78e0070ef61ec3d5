import { CreateQrOrderInput, MerchantRef, PayByBarcodeInput, RefundInput } from '../../integrations/payment/provider';

const qr = {
  outTradeNo: 'HV-2025-0001',
  amountMinor: 1500,
  currency: 'CNY',
  subject: 'Registration',
  notifyUrl: 'https://causeway.example/pay/notify',
};

describe('provider input schemas', () => {
  it('require an expiry, absolute or relative', () => {
    expect(CreateQrOrderInput.safeParse(qr).success).toBe(false);
    expect(CreateQrOrderInput.safeParse({ ...qr, timeoutMinutes: 15 }).success).toBe(true);
    expect(CreateQrOrderInput.safeParse({ ...qr, expiresAt: '2025-03-10T02:00:00Z' }).success).toBe(true);
    expect(CreateQrOrderInput.safeParse({ ...qr, expiresAt: '10/03/2025' }).success).toBe(false);
  });

  it('take integer, positive, safe minor units only', () => {
    for (const amountMinor of [0, -1, 12.5, Number.MAX_SAFE_INTEGER + 1]) {
      expect(CreateQrOrderInput.safeParse({ ...qr, timeoutMinutes: 5, amountMinor }).success).toBe(false);
    }
    expect(RefundInput.safeParse({ outTradeNo: 'T', outRequestNo: 'R', refundMinor: 0, currency: 'CNY' }).success).toBe(false);
  });

  it('restrict merchant references to what the platform accepts', () => {
    expect(MerchantRef.safeParse('T-1_a').success).toBe(true);
    for (const bad of ['', 'a b', 'x'.repeat(65), 'T/1', '订单']) expect(MerchantRef.safeParse(bad).success).toBe(false);
  });

  it('accept only 16-24 digit payment codes', () => {
    const base = { outTradeNo: 'T', amountMinor: 1, currency: 'CNY', subject: 's' };
    expect(PayByBarcodeInput.safeParse({ ...base, authCode: '286000000000001234' }).success).toBe(true);
    for (const authCode of ['28600000000000', '2860000000000000000000001', '28600000000000123x']) {
      expect(PayByBarcodeInput.safeParse({ ...base, authCode }).success).toBe(false);
    }
  });
});
