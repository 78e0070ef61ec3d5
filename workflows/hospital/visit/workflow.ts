import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { ErrorCode } from '../../../domain/errors';
import { cancellationRefund } from '../../../domain/hospital/refund';
import { noShowAt, paymentDeadline, reminderAt } from '../../../domain/hospital/timing';
import { serviceDayOf } from '../../../domain/hospital/serviceDay';
import { refundRequestNoFor, workflowIds } from '../../../domain/ids';
import type { HospitalActivities } from '../../../activities/hospital';
import type { PaymentActivities } from '../../../activities/payment';
import { collectPayment } from '../../payment/collect';
import { cancelPaymentSignal } from '../../payment/definitions';
import { AmountDue, Stage } from '../../searchAttributes';
import { Compensations, failureReason, isCompensable, type CompensationReport } from '../../shared/compensation';
import { queueCalledSignal, queueClosedSignal, queueTurnNearSignal } from '../queue/definitions';
import {
  cancelVisitUpdate,
  checkInUpdate,
  ordersPlacedSignal,
  resultsReadySignal,
  UPDATE_ANSWER_MS,
  visitStatusQuery,
} from './definitions';
import { keepHoldWhilePending } from './hold';
import { createOrderBook, orderMerchantNo, registrationMerchantNo } from './orders';
import { TERMINAL_VISIT_STAGES } from './stages';
import type { OrderView, VisitInput, VisitOutcome, VisitStage, VisitStatus } from './types';

/** patched() ids: changes to running visits that add commands on paths old histories took. */
const BOUNDED_UPDATES = 'visit-bounded-updates';
const HOLD_EXTENSION = 'visit-hold-extension';
const NOT_SEEN = 'visit-not-seen-on-queue-close';
const UNDO_GAVE_UP_RECORD = 'visit-undo-gave-up-record';
/** Visits started before the policy had `hisUndoGiveUpSeconds` (its default). */
const HIS_UNDO_GIVE_UP_SECONDS = 24 * 3600;
/** A redelivered HL7 message (same inbox id) is ignored; before, a repeated cancel or change was applied again. */
const INBOX_DEDUPE = 'visit-inbox-dedupe';
/** How many (inbox id, order) deliveries a visit remembers: far more than one visit's HL7 traffic. */
const INBOX_MEMORY = 256;
const READ_MODEL = 'visit-read-model';
/**
 * The read model is written by a local activity: a full one per change cost an activity task and a
 * workflow task more each (a visit ran about 35 activities instead of 21). Histories before it used
 * full activities and replay on that branch.
 */
const READ_MODEL_LOCAL = 'visit-read-model-local';

const TERMINAL = TERMINAL_VISIT_STAGES;

/** A typed refusal for an update validator: the API maps it to 409 by its type, not its message. */
function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorCode.InvalidState,
    message,
    nonRetryable: true,
    details: [{ code: ErrorCode.InvalidState }],
  });
}

const hospital = proxyActivities<HospitalActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// Local: a write of one row runs inside the workflow task that made the change (see READ_MODEL_LOCAL).
const localProjection = proxyLocalActivities<Pick<HospitalActivities, 'projectVisit'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// Short: a refund whose worker died is retried soon (it is idempotent on its request number).
const payments = proxyActivities<Pick<PaymentActivities, 'refundPayment'>>({
  startToCloseTimeout: '15s',
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
 *
 * Every step that changes the world registers its undo (slot release, HIS cancel, refund, order
 * close); a failure or an operator's cancel runs them and ends the visit in a named stage, so the
 * patient's money is never kept without the service. Terminate runs no workflow code: see README.
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
  const projection = projectWhileRunning(status);
  let checkInAt: number | null = null;
  let cancelRequested = false;
  /** The visit is ending: no new payment is started (an order arriving now is recorded, not charged). */
  let ending = false;
  /** Cancelled through Temporal (an operator): children are cancelled with the visit and close their own orders. */
  let cancelRequestedByOperator = false;
  /** The doctor's queue closed with this patient still waiting or skipped (see `endNotSeen`). */
  let queueClosedUnseen = false;
  const pendingResults: string[] = [];
  const registration: { child?: ChildWorkflowHandle<typeof collectPayment> } = {};
  const undo = new Compensations();
  // HIS undo steps are bounded: an HIS down for good must not keep a visit from its end (the refund runs first).
  const hisUndo = proxyActivities<Pick<HospitalActivities, 'hisCancel' | 'hisNoShow'>>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: (input.policy.hisUndoGiveUpSeconds ?? HIS_UNDO_GIVE_UP_SECONDS) * 1000,
    retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
  });
  /** Undo steps that gave up are left to operators: logged, and written to the audit log. */
  const leaveToOperators = async (report: CompensationReport, what: string): Promise<void> => {
    if (report.failed.length === 0) return;
    log.warn(what, { bookingRef: input.bookingRef, failed: report.failed });
    if (patched(UNDO_GAVE_UP_RECORD)) await hospital.recordUndoGaveUp({ journeyId, bookingRef: input.bookingRef, failed: report.failed });
  };
  // Chosen on purpose: a payment outlives no visit (request-cancel closes its order) and never runs twice.
  const paymentChildPolicies = {
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  };

  const setStage = async (stage: VisitStage): Promise<void> => {
    status.stage = stage;
    upsertSearchAttributes([
      { key: Stage, value: stage },
      { key: AmountDue, value: status.amountDueMinor },
    ]);
    const why = status.failureReason ? ` (${status.failureReason})` : '';
    upsertMemo({ summary: `hospital visit ${input.bookingRef} at ${input.institutionId}: ${stage}${why}` });
    await hospital.setVisitStage({ bookingRef: input.bookingRef, stage });
    // Read-your-writes: an update answering with this stage finds it in the read model too.
    await projection.flushed();
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
      undo.remove(`order-${orderId}`); // the service was delivered: its payment is final
      if (!status.resultOrderIds.includes(orderId)) status.resultOrderIds.push(orderId);
    }
  };
  const refund = async (outTradeNo: string, reason: string, amountMinor: number, why: string): Promise<void> => {
    if (amountMinor <= 0) return;
    await payments.refundPayment({ outTradeNo, outRequestNo: refundRequestNoFor(outTradeNo, reason), amountMinor, reason: why });
  };
  const payOrder = async (order: OrderView, revision: number): Promise<void> => {
    const outTradeNo = orderMerchantNo(journeyKey, order.orderId, revision);
    const undoKey = `order-${order.orderId}-r${revision}`;
    order.outTradeNo = outTradeNo;
    const child = await startChild(collectPayment, {
      workflowId: workflowIds.payment(outTradeNo),
      ...paymentChildPolicies,
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
    // Undo: an open order is closed (its QR code stops working); a paid one whose results never came is refunded.
    undo.add(undoKey, async () => {
      if (order.status === 'awaiting_payment') {
        await child.signal(cancelPaymentSignal).catch(() => undefined); // already finished: nothing to close
        // Cancelled with the visit, the child closes (and refunds) on its own; otherwise wait for its answer.
        if (!cancelRequestedByOperator) await condition(() => order.status !== 'awaiting_payment');
      }
      if (order.status === 'paid' && !order.resultsDelivered)
        await refund(outTradeNo, 'comp', order.amountMinor, 'visit ended before the order was delivered');
    });
    const outcome = await child.result();
    status.amountDueMinor -= order.amountMinor;
    if (outcome.status !== 'paid') {
      order.status = orderBook.isWithdrawn(order) ? 'cancelled' : 'closed';
      undo.remove(undoKey);
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
    await refund(order.outTradeNo ?? '', 'order_withdrawn', order.amountMinor, 'order cancelled by the hospital');
    order.status = 'refunded';
  };
  const orderBook = createOrderBook({
    status,
    isEnding: () => ending,
    collect: (order, revision) => {
      const paying = payOrder(order, revision);
      // Observed here so a refusal on a path that never awaits it (the visit ended) cannot fail the task;
      // the closing path awaits it, and the order's undo refunds a paid order that was not delivered.
      paying.catch((err: unknown) => log.warn('order payment step failed', { orderId: order.orderId, reason: failureReason(err) }));
      return paying;
    },
    refund: refundOrder,
  });

  setHandler(visitStatusQuery, () => status);
  // One HL7 message may carry several orders, each its own signal: a delivery is (inbox id, order id).
  const deliveries = new Set<string>();
  const redelivered = (inboxId: string | undefined, orderId: string): boolean => {
    if (inboxId === undefined) return false;
    const key = `${inboxId}/${orderId}`;
    if (deliveries.has(key)) return true;
    deliveries.add(key);
    if (deliveries.size > INBOX_MEMORY) deliveries.delete(deliveries.values().next().value ?? key);
    return false;
  };
  setHandler(ordersPlacedSignal, (o) => {
    // Behind a patch: a worker without it recorded what a repeated cancel or change did, and must replay it.
    if (redelivered(o.inboxId, o.orderId) && patched(INBOX_DEDUPE)) return;
    orderBook.onSignal(o);
  });
  setHandler(resultsReadySignal, (r) => {
    // A repeated result was already a no-op (by order id), so this changes no commands.
    if (redelivered(r.inboxId, r.orderId)) return;
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
  setHandler(queueClosedSignal, () => {
    queueClosedUnseen = true;
  });
  setHandler(
    checkInUpdate,
    async (req) => {
      checkInAt = req.arrivedAtMs;
      if (patched(BOUNDED_UPDATES)) {
        // The HIS may be slow or down: answer within the bound, the visit carries on.
        // Answered once the read model shows it too, so the app's next read agrees with this answer.
        const done = await condition(() => status.stage !== 'booked' && projection.idle(), UPDATE_ANSWER_MS);
        return { stage: status.stage, pending: !done };
      }
      await condition(() => status.stage !== 'booked');
      return { stage: status.stage, pending: false };
    },
    {
      validator: (_req) => {
        if (status.stage !== 'booked' || checkInAt !== null) throw refuse(`cannot check in while ${status.stage}`);
      },
    },
  );
  setHandler(
    cancelVisitUpdate,
    async () => {
      cancelRequested = true;
      if (registration.child && status.registration.status === 'awaiting_payment')
        await registration.child.signal(cancelPaymentSignal).catch(() => undefined); // it finished meanwhile: the journey sees it
      if (patched(BOUNDED_UPDATES)) {
        // Any end counts (an HIS refusal or a failure ends the visit too), and a slow HIS answers `pending`.
        const done = await condition(() => TERMINAL.has(status.stage) && projection.idle(), UPDATE_ANSWER_MS);
        return { stage: status.stage, pending: !done, refundMinor: status.registration.refundedMinor };
      }
      await condition(() => status.stage === 'cancelled');
      return { stage: status.stage, pending: false, refundMinor: status.registration.refundedMinor };
    },
    {
      validator: (_req) => {
        if (!['holding', 'awaiting_payment', 'booked'].includes(status.stage) || checkInAt !== null || cancelRequested)
          throw refuse(`cannot cancel while ${checkInAt !== null ? 'checked in' : status.stage}`);
      },
    },
  );

  /** A business end (cancelled, expired, rejected, no-show): the registered undo steps release what the visit held. */
  const endAs = async (stage: VisitStage, hisCall: 'cancel' | 'noShow' | null, reasonCode?: string): Promise<VisitOutcome> => {
    ending = true;
    undo.remove('refund-registration'); // what goes back was decided by the hospital's rule (or nothing was paid)
    if (hisCall === 'cancel') undo.add('his', () => hisUndo.hisCancel({ ...booking, ...(reasonCode ? { reasonCode } : {}) }));
    else if (hisCall === 'noShow') undo.add('his', () => hisUndo.hisNoShow(booking));
    else undo.remove('his');
    const report = await undo.run();
    await leaveToOperators(report, 'visit ended with undo steps refused');
    status.amountDueMinor = 0;
    await setStage(stage);
    return { stage, refundedMinor: status.registration.refundedMinor };
  };

  const releaseSlot = async (): Promise<void> => {
    await hospital.releaseSlot({ slotId: input.slotId, bookingRef: input.bookingRef });
  };
  /** What is left of the fee goes back, keyed on the `comp` refund request number (repeat-safe). */
  const refundRegistration = async (): Promise<void> => {
    const left = input.feeMinor - status.registration.refundedMinor;
    await refund(registrationNo, 'comp', left, 'visit could not go ahead');
    status.registration.refundedMinor += Math.max(0, left);
    status.registration.status = 'refunded';
  };

  /**
   * The doctor's queue closed with the patient still waiting (or skipped): the consultation the fee
   * paid for will not happen. Its own stage, not `failed`: nothing went wrong in Causeway and no
   * operator needs to look, yet it is not a no-show either (the patient came, the fee goes back in
   * full as for any session the hospital ends). Slot, HIS booking (SIU^S15) and open orders are
   * undone through the same stack as a failure.
   */
  const endNotSeen = async (): Promise<VisitOutcome> =>
    CancellationScope.nonCancellable(async () => {
      ending = true;
      log.info('visit not seen: the queue closed', { bookingRef: input.bookingRef });
      undo.add('release-slot', releaseSlot);
      undo.add('his', () => hisUndo.hisCancel({ ...booking, reasonCode: 'not-seen' }));
      undo.add('refund-registration', refundRegistration);
      const report = await undo.run();
      await leaveToOperators(report, 'visit not seen: undo steps refused');
      status.amountDueMinor = 0;
      await setStage('not_seen');
      await notify('not_seen', '', { refundMinor: status.registration.refundedMinor });
      return { stage: 'not_seen', refundedMinor: status.registration.refundedMinor };
    });

  /** A failure or an operator's cancel: undo everything (full refund, the patient got nothing) and end in a named stage. */
  const compensate = async (err: unknown): Promise<VisitOutcome> =>
    CancellationScope.nonCancellable(async () => {
      ending = true;
      cancelRequestedByOperator = isCancellation(err);
      status.failureReason = cancelRequestedByOperator ? 'operator_cancelled' : failureReason(err);
      log.warn('visit compensating', { bookingRef: input.bookingRef, reason: status.failureReason, steps: undo.names() });
      const report = await undo.run();
      await leaveToOperators(report, 'visit undo steps refused');
      status.amountDueMinor = 0;
      const stage: VisitStage = cancelRequestedByOperator ? 'cancelled' : 'failed';
      await setStage(stage);
      await notify(stage === 'cancelled' ? 'cancelled' : 'visit_failed', '', { refundMinor: status.registration.refundedMinor });
      return { stage, refundedMinor: status.registration.refundedMinor, failureReason: status.failureReason };
    });

  const journey = async (): Promise<VisitOutcome> => {
    // The API took the PostgreSQL hold before starting the visit.
    undo.add('release-slot', releaseSlot);

    // 1. The HIS stays the authority on its slots.
    await setStage('holding');
    try {
      await hospital.hisRequestHold(booking);
    } catch (err) {
      if (failureCode(err) !== 'slot_rejected_by_his') throw err;
      await notify('slot_rejected');
      return endAs('rejected', null);
    }
    undo.add('his', () => hisUndo.hisCancel({ ...booking, reasonCode: 'visit-failed' }));

    // 2. Registration fee before the hold expires.
    await setStage('awaiting_payment');
    status.registration.status = 'awaiting_payment';
    const registrationChild = await startChild(collectPayment, {
      workflowId: workflowIds.payment(registrationNo),
      ...paymentChildPolicies,
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
    const payment = registrationChild.result();
    if (patched(HOLD_EXTENSION))
      await keepHoldWhilePending(payment, input, (heldUntilMs) =>
        hospital.extendSlotHold({ slotId: input.slotId, bookingRef: input.bookingRef, heldUntilMs }),
      );
    const paid = await payment;
    if (paid.status !== 'paid') {
      status.registration.status = 'closed';
      return cancelRequested || paid.reason === 'cancelled'
        ? endAs('cancelled', 'cancel', 'patient-request')
        : endAs('expired', 'cancel', 'payment-timeout');
    }
    status.registration.status = 'paid';
    status.amountDueMinor = 0;
    // Until the patient is seen, the fee goes back in full if the visit cannot go on.
    undo.add('refund-registration', refundRegistration);

    // 3. Booked: confirm to PostgreSQL and the HIS, remind, wait for arrival.
    await hospital.confirmSlot({ slotId: input.slotId, bookingRef: input.bookingRef }); // SlotTaken (lost hold) → compensated
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
        await refund(registrationNo, 'cancel', decision.refundMinor, 'visit cancelled');
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
    // The patient is at the hospital and registered: the slot and the fee are used, not undone.
    for (const step of ['release-slot', 'his', 'refund-registration']) undo.remove(step);
    const joined = await hospital.joinQueue({
      institutionId: input.institutionId,
      doctorId: input.doctorId,
      serviceDay: serviceDayOf(input.slotStartMs, input.timeZone),
      bookingRef: input.bookingRef,
      arrivedAtMs: checkInAt,
    });
    status.queue.position = joined.position;
    if (joined.queueClosed) queueClosedUnseen = true; // checked in after the queue closed: never called either
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
      if (queueClosedUnseen) {
        if (patched(NOT_SEEN)) return endNotSeen();
        queueClosedUnseen = false; // replaying a run whose code ignored the signal: ignore it again
      }
      if (status.queue.calledAt !== null && status.stage === 'queued') await setStage('called');
      await deliverResults();
      if (settled() && eventCount() === lastEventCount) break; // a whole quiet period passed with nothing new
      lastEventCount = eventCount();
      const wait = settled() ? quietMs : closeAt - Date.now();
      await condition(() => eventCount() !== lastEventCount || queueClosedUnseen, Math.max(1, Math.min(wait, closeAt - Date.now())));
    }
    if (status.queue.calledAt !== null && status.stage === 'queued') await setStage('called');
    await deliverResults();
    await orderBook.settled();
    log.info('visit closed', { bookingRef: input.bookingRef });
    status.amountDueMinor = 0;
    await setStage('closed');
    return { stage: 'closed', refundedMinor: status.registration.refundedMinor };
  };

  let outcome: VisitOutcome;
  try {
    outcome = await journey();
  } catch (err) {
    if (!isCompensable(err)) throw err;
    outcome = await compensate(err);
  }
  // An update still answering (e.g. a cancel waiting for this end) gets its answer before the visit returns.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  await projection.flushed();
  return outcome;
}

/**
 * The visit's read model (issue 10): whenever the status snapshot changed (stage, orders, results,
 * notices, queue notices, from any handler or step) one `projectVisit` writes it with the next seq.
 * One loop, not a call at every mutation, so every path is covered and writes leave in order; the
 * API wrote seq 0 at booking. Behind a patch: histories recorded before it never projected.
 */
function projectWhileRunning(status: VisitStatus): { flushed: () => Promise<void>; idle: () => boolean } {
  // New visits ask only for the local patch; a replayed history without its marker takes the older branches.
  const local = patched(READ_MODEL_LOCAL);
  if (!local && !patched(READ_MODEL)) return { flushed: async () => undefined, idle: () => true };
  const write = local ? localProjection.projectVisit : hospital.projectVisit;
  let seq = 0;
  let written = '';
  let busy = false;
  const changed = (): boolean => JSON.stringify(status) !== written;
  // Not cancellable: an operator's cancel must not drop the write of the stage it ends in.
  void CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(changed);
      busy = true;
      const snapshot = JSON.stringify(status);
      seq += 1;
      try {
        await write({ snapshot: JSON.parse(snapshot) as VisitStatus, seq });
        written = snapshot;
      } catch (err) {
        log.warn('visit projection not written', { bookingRef: status.bookingRef, reason: failureReason(err) });
        written = snapshot; // retried by the next change; the activity itself retries until it succeeds
      }
      busy = false;
    }
  });
  const idle = (): boolean => !busy && !changed();
  return { flushed: () => CancellationScope.nonCancellable(() => condition(idle)), idle };
}
