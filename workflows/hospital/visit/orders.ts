import { patched, type ChildWorkflowHandle } from '@temporalio/workflow';
import { merchantOrderNo, outTradeNoFor } from '../../../domain/ids';
import type { collectPayment } from '../../payment/collect';
import { cancelPaymentSignal } from '../../payment/definitions';
import type { OrderView, OrdersPlaced, VisitStatus } from './types';

/**
 * The visit's orders as the HIS places, changes and withdraws them (ORC-1), kept out of the visit
 * workflow's main line. Workflow code: deterministic, no I/O; money moves through the callbacks.
 */

/** Merchant order numbers hashed from the exact ids (bounded, no punctuation clashes); older histories keep the old form. */
export const HASHED_MERCHANT_NO_PATCH = 'visit-hashed-merchant-no';
/** ORC-1 cancel/change handling and results that arrive before their order. */
export const ORDER_CONTROL_PATCH = 'visit-order-control';

export function registrationMerchantNo(journeyKey: string): string {
  return patched(HASHED_MERCHANT_NO_PATCH) ? merchantOrderNo(journeyKey, 'reg') : outTradeNoFor(journeyKey, 'reg');
}

/** Revision 1 is the order as first placed; each change (XO) bills a new revision under its own number. */
export function orderMerchantNo(journeyKey: string, orderId: string, revision: number): string {
  if (!patched(HASHED_MERCHANT_NO_PATCH)) return outTradeNoFor(journeyKey, `o_${orderId}`);
  return revision === 1 ? merchantOrderNo(journeyKey, 'o', orderId) : merchantOrderNo(journeyKey, 'o', orderId, `r${revision}`);
}

type PaymentChild = ChildWorkflowHandle<typeof collectPayment>;

interface Entry {
  order: OrderView;
  revision: number;
  /** The hospital cancelled or replaced this revision: it must not stay paid. */
  withdrawn: boolean;
  child?: PaymentChild;
  /** The revision's payment and any refund. */
  settled: Promise<void>;
}

export interface OrderBookDeps {
  status: VisitStatus;
  /** The visit is ending: an order arriving now is recorded, not charged. */
  isEnding(): boolean;
  /** Collects one revision's payment (the visit's payOrder). Resolves once its outcome is applied to `order`. */
  collect(order: OrderView, revision: number): Promise<void>;
  /** Pays back a withdrawn order's payment in full and marks it refunded. */
  refund(order: OrderView): Promise<void>;
}

export function createOrderBook(deps: OrderBookDeps) {
  const { status } = deps;
  /** The current revision of each order id. */
  const current = new Map<string, Entry>();
  /** Every revision by its view, so payOrder can ask about the one it collects. */
  const byView = new Map<OrderView, Entry>();
  /** Cancels and changes of one order id run one after another. */
  const chains = new Map<string, Promise<void>>();

  const place = (o: OrdersPlaced, revision: number): void => {
    const amountMinor = o.items.reduce((sum, i) => sum + i.amountMinor, 0);
    const order: OrderView = {
      orderId: o.orderId,
      amountMinor,
      currency: o.currency,
      status: amountMinor === 0 ? 'free' : deps.isEnding() ? 'closed' : 'awaiting_payment',
      outTradeNo: null,
      // Results that came before their order (ORU before ORM) were delivered already.
      resultsDelivered: status.resultOrderIds.includes(o.orderId) && patched(ORDER_CONTROL_PATCH),
    };
    // A new revision takes the old one's place in the visit's status.
    const at = status.orders.findIndex((x) => x.orderId === o.orderId);
    if (at >= 0) status.orders[at] = order;
    else status.orders.push(order);
    const entry: Entry = { order, revision, withdrawn: false, settled: Promise.resolve() };
    current.set(o.orderId, entry);
    byView.set(order, entry);
    if (order.status === 'awaiting_payment') {
      status.amountDueMinor += amountMinor;
      entry.settled = deps.collect(order, revision);
    }
  };

  /** Stops a revision from being billed: cancel its open payment, or refund a completed one. */
  const withdraw = (entry: Entry): Promise<void> => {
    if (entry.withdrawn) return entry.settled;
    entry.withdrawn = true;
    const { order } = entry;
    if (order.status === 'awaiting_payment') {
      // payOrder reads `withdrawn` when the payment ends: closed → cancelled, paid in the race → refunded.
      if (entry.child) void entry.child.signal(cancelPaymentSignal);
    } else if (order.status === 'paid') {
      entry.settled = entry.settled.then(() => deps.refund(order));
    } else {
      order.status = 'cancelled'; // free, or its payment already lapsed: nothing was taken
    }
    return entry.settled;
  };

  const cancel = async (o: OrdersPlaced): Promise<void> => {
    const entry = current.get(o.orderId);
    if (entry) {
      await withdraw(entry);
      return;
    }
    // A cancel for an order never seen: remember it, so a late copy of the order is not billed.
    const order: OrderView = {
      orderId: o.orderId,
      amountMinor: 0,
      currency: o.currency,
      status: 'cancelled',
      outTradeNo: null,
      resultsDelivered: false,
    };
    status.orders.push(order);
    const tomb: Entry = { order, revision: 0, withdrawn: true, settled: Promise.resolve() };
    current.set(o.orderId, tomb);
    byView.set(order, tomb);
  };

  const change = async (o: OrdersPlaced): Promise<void> => {
    const entry = current.get(o.orderId);
    if (entry) await withdraw(entry);
    place(o, (entry?.revision ?? 0) + 1);
  };

  return {
    /** The ordersPlaced signal. A redelivered NW is ignored; CA/DC withdraw; XO withdraws and bills the new version. */
    onSignal(o: OrdersPlaced): void {
      const action = o.action ?? 'new';
      const chain = chains.get(o.orderId);
      if (action === 'new' && chain === undefined) {
        if (current.has(o.orderId) || status.orders.some((x) => x.orderId === o.orderId)) return; // a redelivered ORM
        place(o, 1);
        return;
      }
      const step =
        action === 'new'
          ? async () => (current.has(o.orderId) ? undefined : place(o, 1))
          : action === 'cancel'
            ? () => cancel(o)
            : () => change(o);
      chains.set(o.orderId, (chain ?? Promise.resolve()).then(step));
    },
    /** payOrder hands over the payment child so a later cancel reaches it; a cancel that came first is passed on now. */
    async attach(order: OrderView, child: PaymentChild): Promise<void> {
      const entry = byView.get(order);
      if (!entry) return;
      entry.child = child;
      if (entry.withdrawn) await child.signal(cancelPaymentSignal);
    },
    /** Whether the revision payOrder is collecting has been withdrawn by the hospital. */
    isWithdrawn(order: OrderView): boolean {
      return byView.get(order)?.withdrawn ?? false;
    },
    /** Resolves when every payment, refund, cancel and change started so far has ended. */
    async settled(): Promise<void> {
      for (;;) {
        const pending = [...chains.values(), ...[...byView.values()].map((e) => e.settled)];
        await Promise.all(pending);
        const now = [...chains.values(), ...[...byView.values()].map((e) => e.settled)];
        if (now.length === pending.length && now.every((p, i) => p === pending[i])) return;
      }
    },
  };
}
export type OrderBook = ReturnType<typeof createOrderBook>;
