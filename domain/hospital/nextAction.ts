/**
 * What a patient's app should offer next on a visit, from its stage and status: the one thing the
 * visit waits for from the patient, or nothing (the hospital has the next move, or the visit is over).
 */
export type VisitNextAction = 'pay_registration' | 'check_in' | 'pay_order' | 'read_results';

export function nextVisitAction(
  stage: string,
  status: { orders: ReadonlyArray<{ status: string }>; resultOrderIds: readonly string[] } | null,
): VisitNextAction | null {
  if (stage === 'awaiting_payment') return 'pay_registration';
  if (stage === 'booked') return 'check_in';
  if (!status) return null;
  if ((stage === 'queued' || stage === 'called') && status.orders.some((o) => o.status === 'awaiting_payment')) return 'pay_order';
  if (status.resultOrderIds.length > 0 && (stage === 'queued' || stage === 'called' || stage === 'closed')) return 'read_results';
  return null;
}
