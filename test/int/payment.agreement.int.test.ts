import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../domain/errors';
import type { NotificationReceiver, PaymentHarness } from '../../integrations/payment/simulator';
import { rejection, tradeRef, withPaymentHarness } from '../helpers/payment';

/**
 * Withholding agreements through the real alipay-sdk against the simulator: the signed sign-page
 * link, the user's confirmation, the signed dut_user_sign notification, charges by agreement_no
 * (and their refusals), unsign.
 */
let h: PaymentHarness;
let receiver: NotificationReceiver;
withPaymentHarness({ sim: { notify: { retryScheduleMs: [] } } }, (a, b) => {
  h = a;
  receiver = b;
});

const externalNo = (): string => `T${randomBytes(12).toString('hex')}`;

/** Signs an agreement the way a user would: open the merchant's signed link, confirm on the phone. */
async function signed(buyerId?: string): Promise<{ agreementNo: string; externalAgreementNo: string }> {
  const externalAgreementNo = externalNo();
  const page = await h.provider.agreementSignPage({ externalAgreementNo, externalLogonId: 'rider-1', notifyUrl: receiver.url });
  expect(page.signUrl.startsWith(h.sim.gatewayUrl)).toBe(true);
  const opened = await fetch(page.signUrl);
  expect(opened.status).toBe(200);
  const shown = (await opened.json()) as { page: string; confirmUrl: string; signed: boolean };
  expect(shown).toMatchObject({ page: 'agreement-sign', signed: false });
  const confirmed = await fetch(shown.confirmUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(buyerId ? { buyerId } : {}),
  });
  expect(confirmed.status).toBe(200);
  const { agreementNo } = (await confirmed.json()) as { agreementNo: string };
  return { agreementNo, externalAgreementNo };
}

const charge = (agreementNo: string, amountMinor = 1_500, outTradeNo = tradeRef('A')) =>
  h.provider.payByAgreement({ outTradeNo, agreementNo, amountMinor, currency: 'CNY', subject: 'Metroville rides 2026-12-04' });

it('signs through the signed page link; the signed notification verifies; query answers NORMAL', async () => {
  const { agreementNo, externalAgreementNo } = await signed();
  const note = await receiver.waitFor((n) => n.params.external_agreement_no === externalAgreementNo);
  const verified = h.provider.verifyAgreementNotification(note.params);
  expect(verified).toMatchObject({ notifyType: 'dut_user_sign', agreementNo, externalAgreementNo, status: 'NORMAL' });
  expect(Date.parse(verified.signedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  expect(await h.provider.queryAgreement({ externalAgreementNo })).toMatchObject({ status: 'NORMAL', agreementNo });
  expect(await h.provider.queryAgreement({ agreementNo })).toMatchObject({ status: 'NORMAL', externalAgreementNo });
});

it('refuses a forged or altered agreement notification', async () => {
  const { externalAgreementNo } = await signed();
  const note = await receiver.waitFor((n) => n.params.external_agreement_no === externalAgreementNo);
  const altered = await rejection(() => h.provider.verifyAgreementNotification({ ...note.params, status: 'UNSIGN' }));
  expect(altered.code).toBe(ErrorCode.InvalidSignature);
  h.sim.faults.inject({ kind: 'notifyForged' });
  const second = await signed();
  const forged = await receiver.waitFor((n) => n.params.external_agreement_no === second.externalAgreementNo);
  expect((await rejection(() => h.provider.verifyAgreementNotification(forged.params))).code).toBe(ErrorCode.InvalidSignature);
});

it('a sign link that was altered is refused by the platform, and nothing can be confirmed', async () => {
  const externalAgreementNo = externalNo();
  const page = await h.provider.agreementSignPage({ externalAgreementNo, externalLogonId: 'rider-2', notifyUrl: receiver.url });
  const tampered = page.signUrl.replace(externalAgreementNo, externalNo());
  const opened = await fetch(tampered);
  expect(await opened.text()).toContain('isv.invalid-signature');
  const confirm = await fetch(`${h.sim.url}/sim/agreements/${externalAgreementNo}/sign`, { method: 'POST' });
  expect(confirm.status).toBe(409);
  expect(await h.provider.queryAgreement({ externalAgreementNo })).toEqual({ status: 'NOT_FOUND' });
});

it('charges by agreement with no user action; a repeated order number never charges twice', async () => {
  const { agreementNo } = await signed();
  const outTradeNo = tradeRef('A');
  const paid = await charge(agreementNo, 1_500, outTradeNo);
  expect(paid).toMatchObject({ outTradeNo, status: 'TRADE_SUCCESS', amountMinor: 1_500, currency: 'CNY' });
  expect(await h.provider.query(outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 1_500 });
  const again = await rejection(charge(agreementNo, 1_500, outTradeNo));
  expect(again.code).toBe(ErrorCode.InvalidState);
  expect(again.details).toMatchObject({ subCode: 'ACQ.TRADE_HAS_SUCCESS' });
});

it('insufficient balance (per buyer) refuses the charge without a trade; the next charge goes through', async () => {
  const buyerId = `2088${String(Date.now()).slice(-12)}`;
  const { agreementNo } = await signed(buyerId);
  const other = await signed();
  h.sim.faults.inject({ kind: 'insufficientBalance', buyerId });
  const outTradeNo = tradeRef('A');
  // Another buyer is unaffected by this buyer's fault.
  expect(await charge(other.agreementNo)).toMatchObject({ status: 'TRADE_SUCCESS' });
  const broke = await rejection(charge(agreementNo, 900, outTradeNo));
  expect(broke).toMatchObject({ code: ErrorCode.PaymentDeclined, retryable: false });
  expect(broke.details).toMatchObject({ subCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
  expect(await h.provider.query(outTradeNo)).toEqual({ status: 'NOT_FOUND', outTradeNo });
  expect(await charge(agreementNo, 900, outTradeNo)).toMatchObject({ status: 'TRADE_SUCCESS', amountMinor: 900 });
});

it('unsigns (idempotently) with a signed dut_user_unsign notification; charging afterwards is refused', async () => {
  const { agreementNo, externalAgreementNo } = await signed();
  expect(await h.provider.unsignAgreement({ agreementNo })).toEqual({ changed: true });
  expect(await h.provider.unsignAgreement({ externalAgreementNo })).toEqual({ changed: false });
  const note = await receiver.waitFor((n) => n.params.agreement_no === agreementNo && n.params.notify_type === 'dut_user_unsign');
  expect(h.provider.verifyAgreementNotification(note.params)).toMatchObject({ notifyType: 'dut_user_unsign', status: 'UNSIGN' });
  expect(await h.provider.queryAgreement({ agreementNo })).toEqual({ status: 'NOT_FOUND' });
  const refused = await rejection(charge(agreementNo));
  expect(refused.code).toBe(ErrorCode.PaymentDeclined);
  expect(refused.details).toMatchObject({ subCode: 'ACQ.AGREEMENT_INVALID' });
});

it('refuses a charge on an agreement that was never signed, and bad inputs before any call', async () => {
  const unknown = await rejection(charge('20269999999999999999'));
  expect(unknown.details).toMatchObject({ subCode: 'ACQ.AGREEMENT_NOT_EXIST' });
  expect(await h.provider.queryAgreement({ externalAgreementNo: externalNo() })).toEqual({ status: 'NOT_FOUND' });
  const bad = await rejection(() =>
    h.provider.payByAgreement({ outTradeNo: 'x y', agreementNo: 'a-b', amountMinor: 0, currency: 'CNY', subject: '' }),
  );
  expect(bad.code).toBe(ErrorCode.ValidationFailed);
  expect((bad.details.fields ?? []).map((f) => f.field).sort()).toEqual(['agreementNo', 'amountMinor', 'outTradeNo', 'subject']);
});
