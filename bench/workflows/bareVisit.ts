import {
  condition,
  defineSignal,
  defineUpdate,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BareActivities } from './bareActivities';

/**
 * The Temporal floor of a hospital visit: the same shape as workflows/hospital/visit for the path the
 * bench drives (activities in the same places, two payment child workflows, the same signals and the
 * check-in update) with no-op activities and no payload codec. Whatever it achieves is the most the
 * real journey could achieve on this Temporal server and machine.
 */
export const barePaidSignal = defineSignal('barePaid');
export const bareOrdersPlacedSignal = defineSignal('bareOrdersPlaced');
export const bareResultsReadySignal = defineSignal('bareResultsReady');
export const bareTurnNearSignal = defineSignal('bareTurnNear');
export const bareCalledSignal = defineSignal('bareCalled');
export const bareCheckInUpdate = defineUpdate<string>('bareCheckIn');

const retry = { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 } as const;
const { step } = proxyActivities<BareActivities>({ startToCloseTimeout: '30s', retry });
const { publish } = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '10s', retry });

/**
 * Activities per stretch of the real visit (see workflows/hospital/visit/workflow.ts):
 * before payment: stage holding, HIS hold, stage awaiting_payment; after payment: confirm slot, HIS
 * confirm, HIS payment, stage booked, notice booked; after check-in: HIS arrival, join queue, stage
 * queued; after the order is paid: HIS payment; after results: patient notice, doctor notice; turn
 * near: notice; called: stage called; end: stage closed. Checked against real histories by the bench.
 */
export const BARE_SHAPE = {
  beforeRegistration: 3,
  afterRegistration: 5,
  afterCheckIn: 3,
  afterOrderPaid: 1,
  afterResults: 2,
  afterTurnNear: 1,
  afterCalled: 1,
  atClose: 1,
  paymentChild: 2,
} as const;

/**
 * Read-model publishes (local activities) per stretch of the real visit, one per workflow task that
 * changed its status: before payment: the first snapshot, awaiting_payment, the registration order;
 * after payment: paid, booked, the booked notice; check-in: queued; turn near: position, its notice;
 * the order: placed, paid; results: the notice, delivered; called (stage called); closed.
 */
export const BARE_PUBLISHES = {
  beforeRegistration: 3,
  afterRegistration: 3,
  afterCheckIn: 1,
  afterTurnNear: 2,
  orderPlaced: 1,
  afterOrderPaid: 1,
  afterResults: 2,
  afterCalled: 1,
  atClose: 1,
} as const;

/** `n` activities, with `published` read-model publishes among them (one in each workflow task, the first ones). */
async function steps(name: string, n: number, published = 0): Promise<void> {
  for (let i = 0; i < Math.max(n, published); i++) {
    if (i < published) await publish(i);
    if (i < n) await step(`${name}-${i}`);
  }
}

/** The payment saga's floor: create the order, wait for the notification, record it. */
export async function barePayment(): Promise<void> {
  let paid = false;
  setHandler(barePaidSignal, () => {
    paid = true;
  });
  await step('create-order');
  await condition(() => paid);
  await step('record-paid');
}

export async function bareVisit(): Promise<string> {
  const id = workflowInfo().workflowId;
  let stage: 'holding' | 'booked' | 'queued' | 'closed' = 'holding';
  let checkedIn = false;
  let ordersPlaced = false;
  let resultsReady = false;
  let turnNear = false;
  let called = false;
  setHandler(bareOrdersPlacedSignal, () => {
    ordersPlaced = true;
  });
  setHandler(bareResultsReadySignal, () => {
    resultsReady = true;
  });
  setHandler(bareTurnNearSignal, () => {
    turnNear = true;
  });
  setHandler(bareCalledSignal, () => {
    called = true;
  });
  setHandler(bareCheckInUpdate, async () => {
    await condition(() => stage === 'booked');
    checkedIn = true;
    await condition(() => stage !== 'booked');
    return stage;
  });

  await steps('before-registration', BARE_SHAPE.beforeRegistration, BARE_PUBLISHES.beforeRegistration);
  await executeChild(barePayment, { workflowId: `${id}/reg` });
  await steps('after-registration', BARE_SHAPE.afterRegistration, BARE_PUBLISHES.afterRegistration);
  stage = 'booked';
  await condition(() => checkedIn);
  await steps('after-check-in', BARE_SHAPE.afterCheckIn, BARE_PUBLISHES.afterCheckIn);
  stage = 'queued';
  await condition(() => turnNear);
  await steps('turn-near', BARE_SHAPE.afterTurnNear, BARE_PUBLISHES.afterTurnNear);
  await condition(() => ordersPlaced);
  await steps('order-placed', 0, BARE_PUBLISHES.orderPlaced);
  await executeChild(barePayment, { workflowId: `${id}/order` });
  await steps('after-order', BARE_SHAPE.afterOrderPaid, BARE_PUBLISHES.afterOrderPaid);
  await condition(() => resultsReady);
  await steps('after-results', BARE_SHAPE.afterResults, BARE_PUBLISHES.afterResults);
  await condition(() => called);
  await steps('after-called', BARE_SHAPE.afterCalled, BARE_PUBLISHES.afterCalled);
  await steps('close', BARE_SHAPE.atClose, BARE_PUBLISHES.atClose);
  stage = 'closed';
  return stage;
}
