import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { DoctorQueue, type QueueNotice } from '../../../domain/hospital/queue';
import { latestEndOfDay } from '../../../domain/hospital/serviceDay';
import { workflowIds } from '../../../domain/ids';
import type { HospitalActivities } from '../../../activities/hospital';
import { Stage } from '../../searchAttributes';
import {
  callNextUpdate,
  closeQueueSignal,
  joinQueueUpdate,
  leaveQueueSignal,
  queueCalledSignal,
  queueClosedSignal,
  queuePositionQuery,
  queueSummaryQuery,
  queueTurnNearSignal,
  returnPatientSignal,
  skipPatientSignal,
} from './definitions';
import type { DoctorQueueArgs, DoctorQueueOutcome, QueueClosed } from './types';
import { callNext, doctorQueueInput, isCloseQueue, joinQueue, queuePatient } from './validate';

/** patched() id: a closing queue tells the visits of patients it never saw (commands old closing runs did not send). */
const TELLS_UNSEEN = 'queue-closed-tells-unseen-visits';
/** patched() ids of the read model: written by a full activity, then (newer runs) by a local one. */
const READ_MODEL = 'queue-read-model';
const READ_MODEL_LOCAL = 'queue-read-model-local';
const retry: RetryPolicy = { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 };
const projections = proxyActivities<Pick<HospitalActivities, 'projectDoctorQueue'>>({ startToCloseTimeout: '30s', retry });
// One row written inside the workflow task of the batch: no activity task and no extra workflow task.
const localProjections = proxyLocalActivities<Pick<HospitalActivities, 'projectDoctorQueue'>>({ startToCloseTimeout: '10s', retry });

/** A check-in stamped further ahead than this is a clock or client bug, not an arrival. */
const MAX_ARRIVAL_SKEW_MS = 5 * 60_000;

/** Rejections carry the error code as the failure type, so a client can map them back to a DomainError. */
function refusal(err: unknown): ApplicationFailure {
  if (err instanceof DomainError) return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
  return ApplicationFailure.create({
    type: ErrorCode.Internal,
    message: err instanceof Error ? err.message : String(err),
    nonRetryable: true,
  });
}

function refuseUnless(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw refusal(err);
  }
}

/**
 * One doctor's queue for one service day: an entity workflow that patients join on arrival and the
 * doctor drives with "call next". It tells each patient's visit workflow when their turn is near
 * and when they are called, and continues as new (carrying its state) after `maxEventsPerRun`
 * messages or when Temporal suggests it, so a day of thousands of events keeps a small history.
 */
export async function doctorQueue(args: DoctorQueueArgs): Promise<DoctorQueueOutcome> {
  let input: ReturnType<typeof doctorQueueInput>;
  try {
    input = doctorQueueInput(args);
  } catch (err) {
    throw refusal(err);
  }
  const queue = new DoctorQueue(input.config, input.state);
  const outbox: QueueNotice[] = [];
  let handled = 0;
  let closing = false;

  // Every message counts towards the run's budget, including ignored ones: they all grow history.
  const afterMessage = (): void => {
    handled++;
    outbox.push(...queue.dueNotices(Date.now()));
  };
  const patient = (raw: unknown, what: string): string | undefined => {
    try {
      return queuePatient(raw).bookingRef;
    } catch (err) {
      log.warn(`malformed ${what} signal ignored`, { reason: err instanceof Error ? err.message : 'invalid' });
      return undefined;
    }
  };

  setHandler(
    joinQueueUpdate,
    (raw) => {
      const cmd = joinQueue(raw);
      const result = queue.join(cmd.bookingRef, cmd.arrivedAtMs, Date.now());
      afterMessage();
      return result;
    },
    {
      validator: (raw) =>
        refuseUnless(() => {
          const cmd = joinQueue(raw);
          if (closing) throw new DomainError(ErrorCode.QueueClosed, 'queue is closing');
          if (cmd.arrivedAtMs > Date.now() + MAX_ARRIVAL_SKEW_MS)
            throw new DomainError(ErrorCode.ValidationFailed, 'arrival time is in the future');
          queue.assertCanJoin(cmd.bookingRef);
        }),
    },
  );

  setHandler(
    callNextUpdate,
    (raw) => {
      const cmd = callNext(raw);
      const result = queue.callNext(Date.now(), cmd.callId, cmd.bookingRef);
      if (!result.repeated && result.bookingRef !== null)
        outbox.push({ kind: 'called', bookingRef: result.bookingRef, calledAtMs: result.calledAtMs });
      afterMessage();
      return result;
    },
    {
      validator: (raw) =>
        refuseUnless(() => {
          callNext(raw);
          if (closing) throw new DomainError(ErrorCode.QueueClosed, 'queue is closing');
        }),
    },
  );

  setHandler(skipPatientSignal, (raw) => {
    const ref = patient(raw, 'skip');
    if (ref !== undefined && !queue.skip(ref, Date.now())) log.info('skip ignored: not the patient called', { bookingRef: ref });
    afterMessage();
  });
  setHandler(returnPatientSignal, (raw) => {
    const ref = patient(raw, 'return');
    if (ref !== undefined && !queue.returnSkipped(ref, Date.now())) log.info('return ignored: not skipped', { bookingRef: ref });
    afterMessage();
  });
  setHandler(leaveQueueSignal, (raw) => {
    const ref = patient(raw, 'leave');
    if (ref !== undefined) queue.leave(ref);
    afterMessage();
  });
  setHandler(closeQueueSignal, (raw) => {
    if (isCloseQueue(raw)) closing = true;
    else log.warn('malformed closeQueue signal ignored');
    handled++;
  });
  setHandler(queuePositionQuery, (bookingRef) => queue.positionOf(bookingRef, Date.now()));
  setHandler(queueSummaryQuery, () => queue.summary());

  // Every queue ends with its day. Queues started without a close time (before starters passed the
  // end of the day in the institution's zone) close at the latest end of that day in any zone.
  const closeAtMs = input.closeAtMs ?? (patched('queue-closes-by-day') ? latestEndOfDay(input.serviceDay) : undefined);
  if (closeAtMs !== undefined) {
    const untilClose = closeAtMs - Date.now();
    if (untilClose <= 0) closing = true;
    else
      void sleep(untilClose).then(() => {
        closing = true;
      });
  }

  const deliver = async (): Promise<void> => {
    while (outbox.length > 0) await Promise.all(outbox.splice(0).map(send));
  };
  const send = async (notice: QueueNotice): Promise<void> => {
    const visit = getExternalWorkflowHandle(workflowIds.hospitalVisit(input.institutionId, notice.bookingRef));
    try {
      if (notice.kind === 'called')
        await visit.signal(queueCalledSignal, { version: 1, calledAt: new Date(notice.calledAtMs).toISOString() });
      else await visit.signal(queueTurnNearSignal, { version: 1, position: notice.position, etaMinutes: notice.etaMinutes });
    } catch (err) {
      // The visit may be over (cancelled, closed) or not started yet: the queue goes on regardless.
      log.warn('visit workflow not signalled', {
        bookingRef: notice.bookingRef,
        notice: notice.kind,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  const tellUnseen = async (bookingRef: string, closed: QueueClosed): Promise<void> => {
    try {
      await getExternalWorkflowHandle(workflowIds.hospitalVisit(input.institutionId, bookingRef)).signal(queueClosedSignal, closed);
    } catch (err) {
      // The visit ended meanwhile (cancelled, failed): nothing of it is waiting any more.
      log.warn('visit workflow not told the queue closed', { bookingRef, error: err instanceof Error ? err.message : String(err) });
    }
  };
  // The queue's read model (issue 10): one snapshot write per batch of the loop, not per message,
  // ordered by a seq that continue-as-new carries on. Behind a patch: older histories never wrote it.
  // New runs ask only for the local patch; a replayed history without its marker takes the older branches.
  const localReadModel = patched(READ_MODEL_LOCAL);
  const readModel = localReadModel || patched(READ_MODEL);
  const projectDoctorQueue = localReadModel ? localProjections.projectDoctorQueue : projections.projectDoctorQueue;
  let projectionSeq = input.projectionSeq ?? 0;
  let projected = '';
  const project = async (): Promise<void> => {
    if (!readModel) return;
    const snapshot = JSON.stringify({ state: queue.state, closing });
    if (snapshot === projected) return;
    projectionSeq += 1;
    await projectDoctorQueue({
      institutionId: input.institutionId,
      doctorId: input.doctorId,
      serviceDay: input.serviceDay,
      config: input.config,
      state: queue.state,
      closing,
      seq: projectionSeq,
    });
    projected = snapshot;
  };
  const shouldContinueAsNew = (): boolean => handled >= input.maxEventsPerRun || workflowInfo().continueAsNewSuggested;

  outbox.push(...queue.dueNotices(Date.now()));
  for (;;) {
    await deliver();
    if (closing || shouldContinueAsNew()) break;
    const beforeProjection = handled;
    await project();
    // A message handled while the snapshot was written wakes the loop at once, so it is written too.
    const seen = readModel ? beforeProjection : handled;
    const woken = (): boolean => handled !== seen || closing || outbox.length > 0;
    // Without messages, a "near" notice can still fall due as the consultation in progress runs on.
    const dueInMs = queue.msUntilNextNotice(Date.now());
    if (dueInMs === undefined) await condition(woken);
    else if (!(await condition(woken, Math.max(1, dueInMs)))) outbox.push(...queue.dueNotices(Date.now()));
  }

  // Handlers are synchronous, but an update may be mid-validation; none may be lost across the hand-over.
  while (outbox.length > 0 || !allHandlersFinished()) {
    await condition(allHandlersFinished);
    await deliver();
  }
  // A run handing over leaves the write to the next one (its seq carries on), so no message lands in
  // this run while the write is in flight; the day's last snapshot is written here.
  if (closing) await project();
  if (!closing) {
    log.info('doctor queue continuing as new', { handled, historyLength: workflowInfo().historyLength });
    return continueAsNew<typeof doctorQueue>({ ...input, state: queue.state, ...(readModel ? { projectionSeq } : {}) });
  }
  const summary = queue.summary();
  const closedAtMs = Date.now();
  // Patients still waiting (or skipped) will not be seen today: their visits end and refund now
  // rather than waiting in `queued` until their own clock runs out.
  if (patched(TELLS_UNSEEN)) {
    await Promise.all([
      ...summary.waiting.map((ref) => tellUnseen(ref, { version: 1, closedAtMs, skipped: false })),
      ...summary.skipped.map((ref) => tellUnseen(ref, { version: 1, closedAtMs, skipped: true })),
    ]);
  }
  // The stage in the Web UI and visibility lists says the day is over, not just "completed".
  if (patched('queue-closed-stage')) upsertSearchAttributes([{ key: Stage, value: 'queue_closed' }]);
  log.info('doctor queue closed', {
    served: summary.served,
    left: summary.left,
    stillWaiting: summary.waiting.length,
    skipped: summary.skipped.length,
  });
  return { closedAtMs, summary };
}
