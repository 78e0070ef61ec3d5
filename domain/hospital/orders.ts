/**
 * Pure rules for hospital orders as the HIS sends them (ORC + FT1): what ORC-1 asks us to do, how
 * a charge line is priced, and which ids are acceptable. The HL7 parser applies them to reject a
 * message at the inbox (AE naming the field); the dispatcher applies them to bill.
 */

/** EI.1 (entity identifier) conformance length in v2.5.1+; older versions allow less, and we accept up to this. */
export const ORDER_ID_MAX = 199;

/** What ORC-1 (HL7 table 0119) means for billing. */
export type OrderAction = 'new' | 'cancel' | 'change' | 'none';

const ACTIONS: Readonly<Record<string, OrderAction>> = {
  NW: 'new',
  // Cancel or discontinue requests, and the filler's confirmations of them.
  CA: 'cancel',
  DC: 'cancel',
  OC: 'cancel',
  OD: 'cancel',
  CR: 'cancel',
  DR: 'cancel',
  // Change requests and their confirmations: the order is replaced by the one in the message.
  XO: 'change',
  XR: 'change',
  XX: 'change',
};

/** The rest of table 0119: status, hold, release, number assignment… they move no money. */
const INFORMATIONAL = new Set([
  'AF', 'CH', 'CN', 'DE', 'DF', 'FU', 'HD', 'HR', 'LI', 'MC', 'NA', 'NR', 'OE', 'OF', 'OH', 'OK', 'OP', 'OR', 'PA', 'PR', 'PY', 'RE',
  'RF', 'RL', 'RO', 'RP', 'RQ', 'RR', 'RU', 'SC', 'SN', 'SR', 'SS', 'UA', 'UC', 'UD', 'UF', 'UH', 'UM', 'UN', 'UR', 'UX',
]); // prettier-ignore

/** The billing action for an ORC-1 code, or undefined when the code is not in table 0119. */
export function orderActionOf(orderControl: string): OrderAction | undefined {
  const code = orderControl.trim().toUpperCase();
  return ACTIONS[code] ?? (INFORMATIONAL.has(code) ? 'none' : undefined);
}

export interface ChargeAmount {
  amountMinor: number;
  currency: string;
}

/** One FT1 as pricing needs it. */
export interface ChargeLine {
  /** FT1-10; absent means one. */
  quantity?: number;
  /** FT1-11, the line total. */
  extendedAmount?: ChargeAmount;
  /** FT1-12, the price of one. */
  unitAmount?: ChargeAmount;
}

export type PricingField = 'FT1-10' | 'FT1-11' | 'FT1-12';

export type Pricing =
  | { ok: true; currency: string | undefined; amountsMinor: number[]; totalMinor: number }
  | { ok: false; index: number; field: PricingField; reason: string };

/**
 * The line amount: FT1-11 when sent (the HIS's own total wins), else FT1-10 × FT1-12. The product
 * must come out as whole minor units (a quantity of 0.5 at 3.01 would need a rounding rule
 * nobody agreed on), non-negative and safe.
 */
export function lineAmount(
  line: ChargeLine,
): { ok: true; amountMinor: number; currency: string } | { ok: false; field: PricingField; reason: string } {
  if (line.extendedAmount !== undefined) {
    const { amountMinor, currency } = line.extendedAmount;
    if (amountMinor < 0) return { ok: false, field: 'FT1-11', reason: 'a charge may not be negative' };
    if (line.unitAmount !== undefined && line.unitAmount.currency !== currency)
      return { ok: false, field: 'FT1-12', reason: 'unit price and line total are in different currencies' };
    return { ok: true, amountMinor, currency };
  }
  if (line.unitAmount === undefined) return { ok: false, field: 'FT1-11', reason: 'neither a line total nor a unit price' };
  const quantity = line.quantity ?? 1;
  if (!Number.isFinite(quantity) || quantity <= 0) return { ok: false, field: 'FT1-10', reason: 'quantity must be positive' };
  const unit = line.unitAmount.amountMinor;
  if (unit < 0) return { ok: false, field: 'FT1-12', reason: 'a unit price may not be negative' };
  const product = quantity * unit;
  const whole = Math.round(product);
  // Float noise (0.1 × 300) is tolerated; a real fraction of a minor unit is not.
  if (Math.abs(product - whole) > 1e-6 * Math.max(1, whole)) {
    return { ok: false, field: 'FT1-10', reason: 'quantity × unit price is not a whole number of minor units' };
  }
  if (!Number.isSafeInteger(whole)) return { ok: false, field: 'FT1-10', reason: 'quantity × unit price is too large' };
  return { ok: true, amountMinor: whole, currency: line.unitAmount.currency };
}

/** Prices an order's charges: every line in one currency (each line's own currency is read, not the first's). */
export function priceCharges(lines: readonly ChargeLine[]): Pricing {
  const amountsMinor: number[] = [];
  let currency: string | undefined;
  let totalMinor = 0;
  for (const [index, line] of lines.entries()) {
    const priced = lineAmount(line);
    if (!priced.ok) return { ok: false, index, field: priced.field, reason: priced.reason };
    if (currency !== undefined && priced.currency !== currency) {
      const field: PricingField = line.extendedAmount !== undefined ? 'FT1-11' : 'FT1-12';
      return { ok: false, index, field, reason: `charges of one order in different currencies (${currency} and ${priced.currency})` };
    }
    currency = priced.currency;
    totalMinor += priced.amountMinor;
    if (!Number.isSafeInteger(totalMinor)) return { ok: false, index, field: 'FT1-11', reason: 'the order total is too large' };
    amountsMinor.push(priced.amountMinor);
  }
  return { ok: true, currency, amountsMinor, totalMinor };
}
