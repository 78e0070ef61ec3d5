import { formatTimestamp } from './datatypes';
import { pidSegment, pv1Segment, type PatientInput, type VisitInput } from './build-patient';
import { coded, cp, message, messageMeta, msh, segment, skip, ts, xcn, type HeaderInput, type MessageMeta } from './encode';
import type { FinancialTransaction, Order } from './events';

/** ORM^O01 / OML^O21 (HIS simulator) and DFT^P03 (Causeway → HIS: payment posted). */

export function ft1Segment(t: FinancialTransaction, index: number, meta: MessageMeta): string {
  return segment('FT1', [
    t.setId ?? String(index + 1),
    t.transactionId,
    undefined,
    ts(t.transactionDate, meta),
    undefined,
    t.type,
    coded(t.code),
    t.description,
    undefined,
    t.quantity === undefined ? undefined : String(t.quantity),
    cp(t.extendedAmount),
    cp(t.unitAmount),
    ...skip(10),
    [t.fillerOrderId],
  ]);
}

export interface OrderMessageInput extends HeaderInput, VisitInput {
  patient: PatientInput;
  orders: Order[];
}

export function buildOrderMessage(type: 'ORM' | 'OML', input: OrderMessageInput): string {
  const meta = messageMeta(input);
  const trigger = type === 'ORM' ? 'O01' : 'O21';
  const segments = [msh(input, type, trigger, `${type}_${trigger}`, meta), pidSegment(input.patient), pv1Segment(input, meta)];
  for (const order of input.orders) {
    segments.push(
      segment('ORC', [order.orderControl, [order.placerOrderId], [order.fillerOrderId], ...skip(8), xcn(order.orderingProvider)]),
    );
    order.items.forEach((item, i) =>
      segments.push(segment('OBR', [String(i + 1), [order.placerOrderId], [order.fillerOrderId], coded(item.service)])),
    );
    order.charges.forEach((charge, i) => segments.push(ft1Segment(charge, i, meta)));
  }
  return message(segments);
}

export interface DftInput extends HeaderInput, VisitInput {
  patient: PatientInput;
  transactions: FinancialTransaction[];
}

export function buildDft(input: DftInput): string {
  const meta = messageMeta(input);
  return message([
    msh(input, 'DFT', 'P03', 'DFT_P03', meta),
    segment('EVN', ['P03', formatTimestamp(input.sentAt ?? new Date(), meta.offset)]),
    pidSegment(input.patient),
    pv1Segment(input, meta),
    ...input.transactions.map((t, i) => ft1Segment(t, i, meta)),
  ]);
}
