/**
 * Which notices a user may mute. A journey's notices (booked, paid, your turn, results, refunds,
 * charges, debts) are essential: missing one costs the user money or a visit, so no mute hides them.
 * Only an institution's marketing (its announcements, a funder's coupon and points reminders) can be muted, per institution.
 */
export type NoticeClass = 'essential' | 'marketing';

/** The kinds journeys write today (activities and workflows), each named so a reader sees the decision. */
export const ESSENTIAL_NOTICE_KINDS = [
  'booked',
  'reminder',
  'turn_near',
  'results_ready',
  'results_ready_doctor',
  'cancelled',
  'visit_failed',
  'not_seen',
  'no_show',
  'slot_rejected',
  'retail_receipt',
] as const;

export const MARKETING_NOTICE_KINDS = ['announcement', 'coupon_expiring', 'points_expiring'] as const;
export type MarketingNoticeKind = (typeof MARKETING_NOTICE_KINDS)[number];

const MARKETING: ReadonlySet<string> = new Set<string>(MARKETING_NOTICE_KINDS);

/**
 * The class of a notice kind. Anything not listed as marketing is essential, so a journey kind added
 * later (a transit charge, a debt) can never be muted by accident: muting has to be opted into here.
 */
export function noticeClass(kind: string): NoticeClass {
  return MARKETING.has(kind) ? 'marketing' : 'essential';
}

export function isMutable(kind: string): boolean {
  return noticeClass(kind) === 'marketing';
}
