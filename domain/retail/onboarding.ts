/**
 * Merchant onboarding's decision (issue 12): each check answers pass, fail or review, and the
 * application is decided from all of them at once, so a rejection names every failed check.
 *
 * The rule:
 *  - any failed check rejects the application, naming every failed check (a manual review cannot
 *    make a revoked licence or a wrong ID number right, so review is not offered then);
 *  - otherwise any check asking for review sends the application to an operator: the registry's
 *    name for the legal representative differs only slightly from the applicant's (`name_close`), or a
 *    counterpart (registry, identity provider) stayed unreachable past its window (`unavailable`:
 *    our outage never rejects a merchant, nor lets one through unchecked);
 *  - otherwise it is approved.
 */

export const CHECKS = ['uscc_format', 'registry', 'legal_representative', 'district'] as const;
export type CheckName = (typeof CHECKS)[number];

export type CheckOutcome = 'pass' | 'fail' | 'review';

/** One check's answer. `reason` is a stable code (never personal data): `revoked`, `name_close`, `check_character`… */
export interface CheckResult {
  check: CheckName;
  outcome: CheckOutcome;
  reason: string | null;
}

/** A check by name with its reason; `manual_review` is the operator's rejection. */
export interface NamedCheck {
  check: CheckName | 'manual_review';
  reason: string;
}

export type ApplicationDecision =
  { decision: 'approve' } | { decision: 'review'; reasons: NamedCheck[] } | { decision: 'reject'; failed: NamedCheck[] };

const order = (c: CheckName): number => CHECKS.indexOf(c);

function named(results: readonly CheckResult[], outcome: CheckOutcome): Array<{ check: CheckName; reason: string }> {
  return results
    .filter((r) => r.outcome === outcome)
    .map((r) => ({ check: r.check, reason: r.reason ?? outcome }))
    .sort((a, b) => order(a.check) - order(b.check) || a.reason.localeCompare(b.reason));
}

/** The application's decision from every check's answer (in any order). */
export function decideApplication(results: readonly CheckResult[]): ApplicationDecision {
  const failed = named(results, 'fail');
  if (failed.length > 0) return { decision: 'reject', failed };
  const reasons = named(results, 'review');
  if (reasons.length > 0) return { decision: 'review', reasons };
  return { decision: 'approve' };
}

/** Spaces, the interpunct of transliterated names (`·`, `•`, `.`) and case do not make two names differ. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\s·•.・]/gu, '')
    .toLowerCase();
}

function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export type NameComparison = 'same' | 'close' | 'different';

/**
 * The applicant's name for the legal representative against the registry's: the same once
 * normalised; `close` when one character in eight (at least one) is typed, dropped or added
 * differently (a homophone, a variant character, a typo): a person decides; otherwise different.
 */
export function compareNames(applied: string, registered: string): NameComparison {
  const a = Array.from(normalizeName(applied));
  const b = Array.from(normalizeName(registered));
  if (a.length === 0 || b.length === 0) return 'different';
  if (a.join('') === b.join('')) return 'same';
  const allowed = Math.max(1, Math.floor(Math.max(a.length, b.length) / 8));
  // A one-character name cannot be "close" to anything: one edit makes it another name.
  if (Math.min(a.length, b.length) < 2) return 'different';
  return editDistance(a, b) <= allowed ? 'close' : 'different';
}
