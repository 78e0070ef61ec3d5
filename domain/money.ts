import { z } from 'zod';
import { DomainError, ErrorCode } from './errors';

/**
 * Money is an integer count of minor units plus an ISO 4217 code. Counterparts speak decimal
 * strings ("12.34"); these helpers convert with string and integer arithmetic only, because a
 * float round-trip (0.1 + 0.2) is how a fen goes missing.
 */

/** ISO 4217 minor-unit exponents for the currencies we may meet. Unknown codes are rejected. */
const EXPONENTS: Readonly<Record<string, number>> = {
  // zero-decimal
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  PYG: 0,
  UGX: 0,
  XAF: 0,
  XOF: 0,
  // two-decimal (the common case)
  CNY: 2,
  HKD: 2,
  MOP: 2,
  TWD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  SGD: 2,
  MYR: 2,
  THB: 2,
  PHP: 2,
  AUD: 2,
  NZD: 2,
  CAD: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  INR: 2,
  IDR: 2,
  AED: 2,
  SAR: 2,
  RUB: 2,
  // three-decimal
  KWD: 3,
  BHD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
  LYD: 3,
  IQD: 3,
};

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected an upper-case ISO 4217 code')
  .refine((c) => c in EXPONENTS, 'unsupported currency');
export type CurrencyCode = z.infer<typeof CurrencyCode>;

/** A safe integer amount of minor units (may be negative: refunds, adjustments). */
export const AmountMinor = z.number().int().refine(Number.isSafeInteger, 'amount exceeds safe integer range');
export type AmountMinor = z.infer<typeof AmountMinor>;

export const Money = z.object({ amountMinor: AmountMinor, currency: CurrencyCode });
export type Money = z.infer<typeof Money>;

function invalid(message: string, field = 'amount'): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, message, { fields: [{ field, message }] });
}

export function isKnownCurrency(currency: string): boolean {
  return Object.prototype.hasOwnProperty.call(EXPONENTS, currency);
}

export function currencyExponent(currency: string): number {
  const exp = EXPONENTS[currency];
  if (exp === undefined || !/^[A-Z]{3}$/.test(currency)) throw invalid(`unsupported currency ${currency}`, 'currency');
  return exp;
}

export function assertSafeMinor(amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor)) throw invalid('amount must be a safe integer of minor units');
}

/** 1234, "CNY" → "12.34"; -5, "CNY" → "-0.05"; 7, "JPY" → "7". */
export function formatMinor(amountMinor: number, currency: string): string {
  assertSafeMinor(amountMinor);
  const exp = currencyExponent(currency);
  const negative = amountMinor < 0;
  const digits = String(Math.abs(amountMinor));
  if (exp === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exp + 1, '0');
  const whole = padded.slice(0, padded.length - exp);
  const frac = padded.slice(padded.length - exp);
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

export interface ParseMajorOptions {
  /** Refund lines in a bill are negative; amounts on requests never are. */
  allowNegative?: boolean;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "12.34", "CNY" → 1234. Rejects exponents, signs other than a leading '-', excess decimals. */
export function parseMajor(text: string, currency: string, opts: ParseMajorOptions = {}): number {
  const exp = currencyExponent(currency);
  const m = DECIMAL.exec(text);
  if (!m) throw invalid(`not a decimal amount: ${JSON.stringify(text.slice(0, 32))}`);
  const [, sign = '', whole = '', frac = ''] = m;
  if (frac.length > exp) throw invalid(`${currency} allows at most ${exp} decimal places`);
  // BigInt so that a 30-digit string is reported as too large rather than silently rounded.
  const minor = BigInt(whole + frac.padEnd(exp, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('amount exceeds safe integer range');
  if (minor === 0n) return 0; // never -0
  if (sign === '-' && !opts.allowNegative) throw invalid('negative amount not allowed');
  return sign === '-' ? -Number(minor) : Number(minor);
}
