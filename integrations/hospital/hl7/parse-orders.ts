import { at, codedAt, moneyAt, numberAt, practitionerAt, timestampAt } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { OrdersPlaced, PaymentsPosted, type FinancialTransaction, type Hl7Header, type Order } from './events';
import type { ResolvedParseOptions } from './header';
import type { Hl7Message, Segment } from './message';
import { bookingRefOf, missingSegment, patientIdOf, validated } from './parse-common';
import { ORDER_ID_MAX, orderActionOf, priceCharges } from '../../../domain/hospital/orders';

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

/** An order id component (EI.1), refused at the inbox when longer than HL7 allows rather than wedging billing later. */
function orderIdAt(seg: Segment, field: number): string | undefined {
  const id = seg.value(field, 1);
  if (id !== undefined && id.length > ORDER_ID_MAX) {
    throw malformed(Hl7ErrorCode.DataTypeError, at(seg, field, 1), `${seg.name}-${field}.1 is longer than ${ORDER_ID_MAX} characters`);
  }
  return id;
}

/** ORC-1 must be a table 0119 code: a cancel or change read as a new order would bill what the hospital withdrew. */
function orderControlAt(orc: Segment): string {
  const orderControl = orc.value(1);
  if (orderControl === undefined) throw requiredMissing(at(orc, 1), 'order control');
  if (orderActionOf(orderControl) === undefined) {
    throw malformed(Hl7ErrorCode.TableValueNotFound, at(orc, 1), 'ORC-1 is not an order control code (HL7 table 0119)');
  }
  return orderControl;
}

/** Every charge of an order must price (FT1-11, or FT1-10 × FT1-12) in the order's one currency. */
function checkPricing(ft1s: readonly Segment[], charges: readonly FinancialTransaction[]): void {
  const priced = priceCharges(charges);
  if (priced.ok) return;
  const seg = ft1s[priced.index];
  const field = Number(priced.field.slice(4));
  const where = seg ? at(seg, field) : { segment: 'FT1', field };
  throw malformed(Hl7ErrorCode.DataTypeError, where, `${priced.field}: ${priced.reason}`);
}

/**
 * ORC opens an order; the OBRs after it are its items and the FT1s after it its charges. FT1 is
 * part of OML^O21's order group; ORM^O01 has no FT1 in the standard, but HIS that price orders
 * put it in the same place, so both are read alike.
 */
export function parseOrders(msg: Hl7Message, header: Hl7Header, opts: ResolvedParseOptions) {
  const orders: Order[] = [];
  const chargeSegments: Segment[][] = [];
  let current: Order | undefined;
  for (const seg of msg.segments) {
    if (seg.name === 'ORC') {
      const order: Order = {
        orderControl: orderControlAt(seg),
        placerOrderId: orderIdAt(seg, 2),
        fillerOrderId: orderIdAt(seg, 3),
        orderingProvider: practitionerAt(seg, 12),
        items: [],
        charges: [],
      };
      orders.push(order);
      chargeSegments.push([]);
      current = order;
    } else if (seg.name === 'OBR') {
      if (current === undefined) throw outOfOrder(seg, 'an ORC segment');
      const service = codedAt(seg, 4);
      if (service === undefined) throw requiredMissing(at(seg, 4), 'universal service identifier');
      current.placerOrderId ??= orderIdAt(seg, 2);
      current.fillerOrderId ??= orderIdAt(seg, 3);
      current.items.push({ service });
    } else if (seg.name === 'FT1') {
      if (current === undefined) throw outOfOrder(seg, 'an ORC segment');
      current.charges.push(transactionFrom(seg, opts));
      chargeSegments[chargeSegments.length - 1]?.push(seg);
    }
  }
  orders.forEach((order, i) => checkPricing(chargeSegments[i] ?? [], order.charges));
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
