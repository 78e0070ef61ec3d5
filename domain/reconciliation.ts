/**
 * Reconciliation: the ledger (what Causeway believes moved) against the payment platform's bill
 * (what actually moved), matched by order number, kind and refund request number.
 */
export interface MoneyLine {
  outTradeNo: string;
  kind: 'payment' | 'refund';
  /** The refund request number for refunds; '' for payments. */
  ref: string;
  /** Positive for both kinds: the amount that moved. */
  amountMinor: number;
}

export type Mismatch =
  | { kind: 'missing_in_bill'; line: MoneyLine }
  | { kind: 'missing_in_ledger'; line: MoneyLine }
  | { kind: 'amount_differs'; ledger: MoneyLine; bill: MoneyLine };

const keyOf = (l: MoneyLine): string => `${l.kind}|${l.outTradeNo}|${l.ref}`;

export function reconcile(ledger: readonly MoneyLine[], bill: readonly MoneyLine[]): Mismatch[] {
  const out: Mismatch[] = [];
  const billByKey = new Map(bill.map((l) => [keyOf(l), l]));
  const seen = new Set<string>();
  for (const l of ledger) {
    const k = keyOf(l);
    seen.add(k);
    const b = billByKey.get(k);
    if (!b) out.push({ kind: 'missing_in_bill', line: l });
    else if (b.amountMinor !== l.amountMinor) out.push({ kind: 'amount_differs', ledger: l, bill: b });
  }
  for (const b of bill) if (!seen.has(keyOf(b))) out.push({ kind: 'missing_in_ledger', line: b });
  return out;
}

/** The calendar day before `instantMs` in a fixed-offset zone (the platform bills in UTC+8). */
export function previousDay(instantMs: number, offsetMinutes = 480): string {
  const d = new Date(instantMs + offsetMinutes * 60_000 - 86_400_000);
  return d.toISOString().slice(0, 10);
}
