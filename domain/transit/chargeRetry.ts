/**
 * The retry policy of a refused day charge (TfL-style "ride now, pay later"): a refused charge is
 * tried again at fixed offsets from the first refusal; after the last one the day is a debt and the
 * rider is denied at the gates until they pay. Pure, so the workflow and the docs agree.
 */

const DAY_MS = 86_400_000;

/** Up to 3 more tries within 30 days: a day after the refusal, then at 10 and 30 days. */
export const DEFAULT_CHARGE_RETRY_OFFSETS_MS: readonly number[] = [1 * DAY_MS, 10 * DAY_MS, 30 * DAY_MS];

/**
 * When the next attempt is due after `refusals` refused attempts (the first at `firstRefusalAt`), or
 * null when the policy is spent and the day becomes a debt. Offsets that are not ascending are
 * taken in ascending order, so a misordered setting never retries sooner than the operator meant.
 */
export function nextChargeAttemptAt(offsetsMs: readonly number[], firstRefusalAt: number, refusals: number): number | null {
  if (refusals < 1) throw new RangeError('no refusal yet');
  const sorted = [...offsetsMs].filter((o) => Number.isFinite(o) && o >= 0).sort((a, b) => a - b);
  const offset = sorted[refusals - 1];
  return offset === undefined ? null : firstRefusalAt + offset;
}

/** Why a day charge was refused, in words a rider's app can show; from the platform's sub-code. */
export type ChargeRefusal = 'insufficient_balance' | 'agreement_invalid' | 'no_agreement' | 'declined';

export function chargeRefusalOf(subCode: string | undefined): ChargeRefusal {
  if (!subCode) return 'declined';
  if (/BALANCE_NOT_ENOUGH|NOT_ENOUGH_BALANCE/i.test(subCode)) return 'insufficient_balance';
  if (/AGREEMENT/i.test(subCode)) return 'agreement_invalid';
  return 'declined';
}
