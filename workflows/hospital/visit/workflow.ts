import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { cancellationRefund } from '../../../domain/hospital/refund';
import { noShowAt, paymentDeadline, reminderAt } from '../../../domain/hospital/timing';
import { serviceDayOf } from '../../../domain/hospital/serviceDay';
import { refundRequestNoFor, workflowIds } from '../../../domain/ids';
import type { HospitalActivities } from '../../../activities/hospital';
import type { PaymentActivities } from '../../../activities/payment';
import { collectPayment } from '../../payment/collect';
import { cancelPaymentSignal } from '../../payment/definitions';
import { AmountDue, Stage } from '../../searchAttributes';
import { queueCalledSignal, queueTurnNearSignal } from '../queue/definitions';
import { cancelVisitUpdate, checkInUpdate, ordersPlacedSignal, resultsReadySignal, visitStatusQuery } from './definitions';
import { createOrderBook, orderMerchantNo, registrationMerchantNo } from './orders';
import type { OrderView, VisitInput, VisitOutcome, VisitStage, VisitStatus } from './types';

const hospital = proxyActivities<HospitalActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
const payments = proxyActivities<Pick<PaymentActivities, 'refundPayment'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});

/** The failure code an activity gave up with (its DomainError code), if any. */
function failureCode(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

/**
 * One hospital visit, from the held slot to the closed visit. See README "Hospital visit" for the
 * stages. The API has already taken the slot hold atomically in PostgreSQL before this starts.
 */
export async function hospitalVisit(input: VisitInput): Promise<VisitOutcome> {
  const journeyId = workflowIds.hospitalVisit(input.institutionId, input.bookingRef);
  const journeyKey = `${input.institutionId}_${input.bookingRef}`;
  const registrationNo = registrationMerchantNo(journeyKey);
  const booking = {
    bookingRef: input.bookingRef,
    slotId: input.slotId,
    doctorId: input.doctorId,
    departmentId: input.departmentId,
    slotStart: new Date(input.slotStartMs).toISOString(),
    durationMinutes: input.durationMin,
    patientRef: input.userRef,
  };
  const status: VisitStatus = {
    bookingRef: input.bookingRef,
    institutionId: input.institutionId,
    stage: 'holding',
    slotStartMs: input.slotStartMs,
    amountDueMinor: input.feeMinor,
    currency: input.currency,
    registration: { outTradeNo: registrationNo, status: 'not_started', refundedMinor: 0 },
    queue: { position: null, etaMinutes: null, calledAt: null },
    orders: [],
    resultOrderIds: [],
    notices: [],
  };
  let checkInAt: number | null = null;
  let cancelRequested = false;
  const pendingResults: string[] = [];
  const registration: { child?: ChildWorkflowHandle<typeof collectPayment> } = {};

  const setStage = async (stage: VisitStage): Promise<void> => {
    status.stage = stage;
    upsertSearchAttributes([
      { key: Stage, value: stage },
      { key: AmountDue, value: status.amountDueMinor },
    ]);
    upsertMemo({ summary: `hospital visit ${input.bookingRef} at ${input.institutionId}: ${stage}` });
    await hospital.setVisitStage({ bookingRef: input.bookingRef, stage });
  };
  const notify = async (kind: string, key = '', data: Record<string, unknown> = {}): Promise<void> => {
    await hospital.notifyUser({ userRef: input.userRef, journeyId, kind, key, data: { bookingRef: input.bookingRef, ...data } });
    status.notices.push({ kind, atMs: Date.now() });
  };
  const deliverResults = async (): Promise<void> => {
    while (pendingResults.length > 0) {
      const orderId = pendingResults.shift() as string;
      await notify('results_ready', orderId, { orderId });
      await hospital.notifyDoctor({ institutionId: input.institutionId, doctorId: input.doctorId, journeyId, orderId });
      const order = status.orders.find((o) => o.orderId === orderId);
      if (order) order.resultsDelivered = true;
      if (!status.resultOrderIds.includes(orderId)) status.resultOrderIds.push(orderId);
    }
  };
  const payOrder = async (order: OrderView, revision: number): Promise<void> => {
    const outTradeNo = orderMerchantNo(journeyKey, order.orderId, revision);
    order.outTradeNo = outTradeNo;
    const child = await startChild(collectPayment, {
      workflowId: workflowIds.payment(outTradeNo),
      args: [
        {
          version: 1,
          outTradeNo,
          journeyId,
          step: `order-${order.orderId}`,
          institutionId: input.institutionId,
          userRef: input.userRef,
          amountMinor: order.amountMinor,
          currency: order.currency,
          subject: `Hospital order ${order.orderId}`,
          deadlineMs: input.slotStartMs + 12 * 3600_000,
        },
      ],
    });
    await orderBook.attach(order, child);
    const outcome = await child.result();
    status.amountDueMinor -= order.amountMinor;
    if (outcome.status !== 'paid') {
      order.status = orderBook.isWithdrawn(order) ? 'cancelled' : 'closed';
      return;
    }
    order.status = 'paid';
    if (orderBook.isWithdrawn(order)) return refundOrder(order); // paid just before the hospital's cancel took effect
    await hospital.hisPostPayment({
      bookingRef: input.bookingRef,
      patientRef: input.userRef,
      orderId: order.orderId,
      amountMinor: order.amountMinor,
      currency: order.currency,
      paymentRef: outcome.tradeNo,
    });
  };

  const refundOrder = async (order: OrderView): Promise<void> => {
    const outTradeNo = order.outTradeNo ?? '';
    await payments.refundPayment({
      outTradeNo,
      outRequestNo: refundRequestNoFor(outTradeNo, 'order_withdrawn'),
      amountMinor: order.amountMinor,
      reason: 'order cancelled by the hospital',
    });
    order.status = 'refunded';
  };
  const orderBook = createOrderBook({ status, collect: payOrder, refund: refundOrder });

  setHandler(visitStatusQuery, () => status);
  setHandler(ordersPlacedSignal, (o) => orderBook.onSignal(o));
  setHandler(resultsReadySignal, (r) => {
    if (status.resultOrderIds.includes(r.orderId) || pendingResults.includes(r.orderId)) return;
    pendingResults.push(r.orderId);
  });
  setHandler(queueTurnNearSignal, (n) => {
    status.queue.position = n.position;
    status.queue.etaMinutes = n.etaMinutes;
    void notify('turn_near', String(n.position), { position: n.position, etaMinutes: n.etaMinutes });
  });
  setHandler(queueCalledSignal, (c) => {
    status.queue.calledAt = c.calledAt;
  });
  setHandler(
    checkInUpdate,
    async (req) => {
      checkInAt = req.arrivedAtMs;
      await condition(() => status.stage !== 'booked');
      return { stage: status.stage };
    },
    {
      validator: (_req) => {
        if (status.stage !== 'booked' || checkInAt !== null) throw new Error(`cannot check in while ${status.stage}`);
      },
    },
  );
  setHandler(
    cancelVisitUpdate,
    async () => {
      cancelRequested = true;
      if (registration.child && status.registration.status === 'awaiting_payment') await registration.child.signal(cancelPaymentSignal);
      await condition(() => status.stage === 'cancelled');
      return { stage: status.stage, refundMinor: status.registration.refundedMinor };
    },
    {
      validator: (_req) => {
        if (!['holding', 'awaiting_payment', 'booked'].includes(status.stage) || checkInAt !== null)
          throw new Error(`cannot cancel while ${status.stage}`);
      },
    },
  );

  const endAs = async (stage: VisitStage, hisCall: 'cancel' | 'noShow' | null, reasonCode?: string): Promise<VisitOutcome> => {
    if (hisCall === 'cancel') await hospital.hisCancel({ ...booking, ...(reasonCode ? { reasonCode } : {}) });
    if (hisCall === 'noShow') await hospital.hisNoShow(booking);
    await hospital.releaseSlot({ slotId: input.slotId, bookingRef: input.bookingRef });
    status.amountDueMinor = 0;
    await setStage(stage);
    return { stage, refundedMinor: status.registration.refundedMinor };
  };

  // 1. The HIS stays the authority on its slots.
  await setStage('holding');
  try {
    await hospital.hisRequestHold(booking);
  } catch (err) {
    if (failureCode(err) !== 'slot_rejected_by_his') throw err;
    await notify('slot_rejected');
    return endAs('rejected', null);
  }

  // 2. Registration fee before the hold expires.
  await setStage('awaiting_payment');
  status.registration.status = 'awaiting_payment';
  const registrationChild = await startChild(collectPayment, {
    workflowId: workflowIds.payment(registrationNo),
    args: [
      {
        version: 1,
        outTradeNo: registrationNo,
        journeyId,
        step: 'registration',
        institutionId: input.institutionId,
        userRef: input.userRef,
        amountMinor: input.feeMinor,
        currency: input.currency,
        subject: 'Registration fee',
        deadlineMs: paymentDeadline({ heldAtMs: input.heldAtMs, slotStartMs: input.slotStartMs, holdMinutes: input.policy.holdMinutes }),
      },
    ],
  });
  registration.child = registrationChild;
  if (cancelRequested) await registrationChild.signal(cancelPaymentSignal);
  const paid = await registrationChild.result();
  if (paid.status !== 'paid') {
    status.registration.status = 'closed';
    return cancelRequested || paid.reason === 'cancelled'
      ? endAs('cancelled', 'cancel', 'patient-request')
      : endAs('expired', 'cancel', 'payment-timeout');
  }
  status.registration.status = 'paid';
  status.amountDueMinor = 0;

  // 3. Booked: confirm to PostgreSQL and the HIS, remind, wait for arrival.
  await hospital.confirmSlot({ slotId: input.slotId, bookingRef: input.bookingRef });
  await hospital.hisConfirm(booking);
  await hospital.hisPostPayment({
    bookingRef: input.bookingRef,
    patientRef: input.userRef,
    orderId: `REG-${input.bookingRef}`.slice(0, 64),
    amountMinor: input.feeMinor,
    currency: input.currency,
    paymentRef: paid.tradeNo,
  });
  await setStage('booked');
  await notify('booked', '', { slotStartMs: input.slotStartMs });
  const remindAt = reminderAt({ slotStartMs: input.slotStartMs, bookedAtMs: Date.now(), leadMinutes: input.policy.reminderLeadMinutes });
  let reminded = remindAt === null;
  if (remindAt !== null && remindAt <= Date.now()) {
    // Booked inside the reminder window: remind at once rather than race the patient's arrival.
    reminded = true;
    await notify('reminder', '', { slotStartMs: input.slotStartMs });
  }
  const noShow = noShowAt({ slotStartMs: input.slotStartMs, graceMinutes: input.policy.noShowGraceMinutes });
  for (;;) {
    const next = reminded ? noShow : Math.min(remindAt ?? noShow, noShow);
    await condition(() => cancelRequested || checkInAt !== null, Math.max(1, next - Date.now()));
    if (cancelRequested) {
      const decision = cancellationRefund(
        { paidMinor: input.feeMinor, slotStartMs: input.slotStartMs, cancelledAtMs: Date.now(), initiatedBy: 'patient' },
        input.policy,
      );
      if (decision.refundMinor > 0) {
        await payments.refundPayment({
          outTradeNo: registrationNo,
          outRequestNo: refundRequestNoFor(registrationNo, 'cancel'),
          amountMinor: decision.refundMinor,
          reason: 'visit cancelled',
        });
      }
      status.registration.refundedMinor = decision.refundMinor;
      status.registration.status = 'refunded';
      await notify('cancelled', '', { refundMinor: decision.refundMinor });
      return endAs('cancelled', 'cancel', 'patient-request');
    }
    if (checkInAt !== null) break;
    if (!reminded && Date.now() >= (remindAt ?? 0)) {
      reminded = true;
      await notify('reminder', '', { slotStartMs: input.slotStartMs });
    }
    if (Date.now() >= noShow) {
      await notify('no_show');
      return endAs('no_show', 'noShow');
    }
  }

  // 4. Arrived: the HIS registers the outpatient, the doctor's queue takes the patient.
  await hospital.hisArrival({
    bookingRef: input.bookingRef,
    patientRef: input.userRef,
    doctorId: input.doctorId,
    departmentId: input.departmentId,
    arrivedAt: new Date(checkInAt).toISOString(),
  });
  const joined = await hospital.joinQueue({
    institutionId: input.institutionId,
    doctorId: input.doctorId,
    serviceDay: serviceDayOf(input.slotStartMs, input.timeZone),
    bookingRef: input.bookingRef,
    arrivedAtMs: checkInAt,
  });
  status.queue.position = joined.position;
  await setStage('queued');
  await deliverResults(); // results that arrived before the patient did

  // 5. Called, orders paid and posted back, results delivered; closed after a quiet period or at day's end.
  const closeAt = input.slotStartMs + 12 * 3600_000;
  const quietMs = input.policy.visitQuietCloseSeconds * 1000;
  const settled = (): boolean =>
    status.queue.calledAt !== null &&
    status.orders.every((o) => o.status !== 'awaiting_payment' && (o.status !== 'paid' || o.resultsDelivered));
  let lastEventCount = -1;
  const eventCount = (): number =>
    status.orders.length +
    status.orders.filter((o) => o.status !== 'awaiting_payment').length +
    status.orders.filter((o) => o.status === 'cancelled' || o.status === 'refunded').length + // withdrawn orders (ORC-1); 0 in older histories
    status.resultOrderIds.length +
    pendingResults.length +
    (status.queue.calledAt ? 1 : 0);
  while (Date.now() < closeAt) {
    if (status.queue.calledAt !== null && status.stage === 'queued') await setStage('called');
    await deliverResults();
    if (settled() && eventCount() === lastEventCount) break; // a whole quiet period passed with nothing new
    lastEventCount = eventCount();
    const wait = settled() ? quietMs : closeAt - Date.now();
    await condition(() => eventCount() !== lastEventCount, Math.max(1, Math.min(wait, closeAt - Date.now())));
  }
  if (status.queue.calledAt !== null && status.stage === 'queued') await setStage('called');
  await deliverResults();
  await orderBook.settled();
  log.info('visit closed', { bookingRef: input.bookingRef });
  status.amountDueMinor = 0;
  await setStage('closed');
  return { stage: 'closed', refundedMinor: status.registration.refundedMinor };
}
