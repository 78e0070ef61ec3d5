import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { partnerCall } from './partnerCall';
import type { DemoSimulators } from './simulators';
import { DEMO_DOCTORS, DEMO_HOSPITAL_ID } from './seed';

const FreeSlots = z.array(z.object({ slotId: z.string(), doctorId: z.string(), startsAt: z.string(), feeMinor: z.number() }));
const Booked = z.object({ bookingRef: z.string() });
const Status = z.object({
  stage: z.string(),
  orders: z.array(z.object({ orderId: z.string(), status: z.string() })),
  resultOrderIds: z.array(z.string()),
});
const Payments = z.object({ payments: z.array(z.object({ outTradeNo: z.string(), step: z.string(), qrCode: z.string().nullable() })) });

interface DemoVisitOptions {
  apiUrl: string;
  partnerApiKey: string;
  userId: string;
  sims: DemoSimulators;
  uiUrl: string;
  say: (m: string) => void;
}

/**
 * A whole hospital visit as the patient's app and the hospital would drive it: book a free slot,
 * pay the registration fee (the payment simulator's buyer scans and pays), check in, get called by
 * the HIS, pay the order the doctor placed, receive the results. Each step waits for the workflow.
 */
export async function runDemoVisit(o: DemoVisitOptions): Promise<void> {
  const call = partnerCall(o);
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(300);
    }
  };
  const status = (ref: string) => call(Status, 'GET', `/v1/visits/${ref}`);
  const stageIs = (ref: string, stage: string) =>
    waitFor(`stage ${stage}`, async () => ((await status(ref)).stage === stage ? true : undefined));
  const pay = async (ref: string, step: string): Promise<void> => {
    const due = await waitFor(`payment ${step}`, async () =>
      (await call(Payments, 'GET', `/v1/visits/${ref}/payments`)).payments.find((p) => p.step === step && p.qrCode),
    );
    o.sims.payment.buyer.scan(due.outTradeNo);
    o.sims.payment.buyer.pay(due.outTradeNo);
  };

  const doctor = DEMO_DOCTORS[0];
  if (!doctor) return;
  const slot = (await call(FreeSlots, 'GET', `/v1/hospitals/${DEMO_HOSPITAL_ID}/slots?doctorId=${doctor.id}`))[0];
  if (!slot) throw new Error('no free demo slot left this week');
  const { bookingRef: ref } = await call(Booked, 'POST', '/v1/visits', { institutionId: DEMO_HOSPITAL_ID, slotId: slot.slotId });
  const workflowId = `hospital-visit/${DEMO_HOSPITAL_ID}/${ref}`;
  o.say(
    `demo visit ${ref}: slot ${slot.slotId} with ${doctor.displayName} at ${slot.startsAt} held; follow workflow ${workflowId} in ${o.uiUrl}`,
  );
  await pay(ref, 'registration');
  await stageIs(ref, 'booked');
  o.say(`demo visit ${ref}: registration fee ${(slot.feeMinor / 100).toFixed(2)} CNY paid, booking confirmed to the HIS (SIU^S14)`);
  await call(z.object({ stage: z.string() }), 'POST', `/v1/visits/${ref}/check-in`, {});
  o.say(`demo visit ${ref}: checked in, queued for ${doctor.displayName} (GET /v1/visits/${ref}/queue)`);
  await waitFor('the HIS to call the patient', async () => ((await o.sims.his.callNext(doctor.id))?.bookingRef === ref ? true : undefined));
  await stageIs(ref, 'called');
  o.say(`demo visit ${ref}: called in by the HIS (ADT^A08); the doctor orders a blood test (ORM^O01 with an FT1 charge)`);
  const { order } = await o.sims.his.placeOrders(ref, { items: [{ code: 'CBC', text: 'Complete blood count', priceMinor: 4500 }] });
  await pay(ref, `order-${order.orderId}`);
  await waitFor('the order to be paid', async () =>
    (await status(ref)).orders.find((x) => x.orderId === order.orderId)?.status === 'paid' ? true : undefined,
  );
  o.say(`demo visit ${ref}: order ${order.orderId} paid on the phone and posted back to the HIS (DFT^P03); results follow (ORU^R01)`);
  await o.sims.his.sendResults(ref, order.orderId, [
    { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
  ]);
  await waitFor('results delivered', async () => ((await status(ref)).resultOrderIds.includes(order.orderId) ? true : undefined));
  o.say(
    `demo visit ${ref}: results delivered (GET /v1/visits/${ref}/results, readable by this patient only); the visit closes after a quiet period`,
  );
}
