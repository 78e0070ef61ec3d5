import { at, codedAt, moneyAt, numberAt, practitionerAt, timestampAt } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { OrdersPlaced, PaymentsPosted, type FinancialTransaction, type Hl7Header, type Order } from './events';
import type { ResolvedParseOptions } from './header';
import type { Hl7Message, Segment } from './message';
import { bookingRefOf, missingSegment, patientIdOf, validated } from './parse-common';

/** ORM^O01 / OML^O21 (orders, with FT1 prices) and DFT^P03 (charges and payments posted). */

/**
 * FT1. FT1-4 is a TS in v2.3.1/v2.4 and a DR (range) in v2.5; the start instant sits in the
 * first component either way, so one read serves both.
 */
export function transactionFrom(ft1: Segment, opts: ResolvedParseOptions): FinancialTransaction {
  const type = ft1.value(6, 1);
  if (type === undefined) throw requiredMissing(at(ft1, 6), 'transaction type');
  const code = codedAt(ft1, 7);
  if (code?.code === undefined) throw requiredMissing(at(ft1, 7), 'transaction code');
  const extendedAmount = moneyAt(ft1, 11, opts.defaultCurrency);
  const unitAmount = moneyAt(ft1, 12, opts.defaultCurrency);
  if (extendedAmount === undefined && unitAmount === undefined) {
    throw requiredMissing(at(ft1, 11), 'transaction amount, extended (FT1-11) or unit (FT1-12)');
  }
  return {
    setId: ft1.value(1),
    transactionId: ft1.value(2, 1),
    transactionDate: timestampAt(ft1, 4, opts.localZone),
    type,
    code,
    description: ft1.value(8),
    quantity: numberAt(ft1, 10),
    extendedAmount,
    unitAmount,
    fillerOrderId: ft1.value(23, 1),
  };
}

function outOfOrder(seg: Segment, expected: string): Error {
  return malformed(Hl7ErrorCode.SegmentSequenceError, { segment: seg.name, sequence: seg.sequence }, `${seg.name} must follow ${expected}`);
}

/**
 * ORC opens an order; the OBRs after it are its items and the FT1s after it its charges. FT1 is
 * part of OML^O21's order group; ORM^O01 has no FT1 in the standard, but HIS that price orders
 * put it in the same place, so both are read alike.
 */
export function parseOrders(msg: Hl7Message, header: Hl7Header, opts: ResolvedParseOptions) {
  const orders: Order[] = [];
  let current: Order | undefined;
  for (const seg of msg.segments) {
    if (seg.name === 'ORC') {
      const orderControl = seg.value(1);
      if (orderControl === undefined) throw requiredMissing(at(seg, 1), 'order control');
      const order: Order = {
        orderControl,
        placerOrderId: seg.value(2, 1),
        fillerOrderId: seg.value(3, 1),
        orderingProvider: practitionerAt(seg, 12),
        items: [],
        charges: [],
      };
      orders.push(order);
      current = order;
    } else if (seg.name === 'OBR') {
      if (current === undefined) throw outOfOrder(seg, 'an ORC segment');
      const service = codedAt(seg, 4);
      if (service === undefined) throw requiredMissing(at(seg, 4), 'universal service identifier');
      current.placerOrderId ??= seg.value(2, 1);
      current.fillerOrderId ??= seg.value(3, 1);
      current.items.push({ service });
    } else if (seg.name === 'FT1') {
      if (current === undefined) throw outOfOrder(seg, 'an ORC segment');
      current.charges.push(transactionFrom(seg, opts));
    }
  }
  if (orders.length === 0) {
    throw missingSegment('ORC', 'common order');
  }
  return validated(OrdersPlaced, {
    kind: 'orders-placed',
    header,
    bookingRef: bookingRefOf(msg, opts.bookingRefAuthority),
    patientId: patientIdOf(msg),
    orders: orders.map((order, i) => {
      if (order.placerOrderId === undefined && order.fillerOrderId === undefined) {
        throw requiredMissing({ segment: 'ORC', field: 2, sequence: i + 1 }, 'placer order number (or ORC-3 / OBR-2 / OBR-3)');
      }
      return order;
    }),
  });
}

export function parseDft(msg: Hl7Message, header: Hl7Header, opts: ResolvedParseOptions) {
  const transactions = msg.segments.filter((s) => s.name === 'FT1').map((s) => transactionFrom(s, opts));
  if (transactions.length === 0) {
    throw missingSegment('FT1', 'financial transaction');
  }
  return validated(PaymentsPosted, {
    kind: 'payments-posted',
    header,
    bookingRef: bookingRefOf(msg, opts.bookingRefAuthority),
    patientId: patientIdOf(msg),
    transactions,
  });
}
