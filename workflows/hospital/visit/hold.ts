import { condition } from '@temporalio/workflow';
import type { VisitInput } from './types';

/** Extend the hold this long before it would lapse (the activity and a busy worker need the margin). */
const EXTEND_BEFORE_MS = 60_000;
/** Each extension keeps the slot this much longer. */
const EXTENSION_MS = 3 * 60_000;

/**
 * The API holds the slot in PostgreSQL for `holdMinutes + 1` minutes, a minute past the payment
 * deadline. A payment still pending then (the close raced a late payment, or a backlogged worker)
 * must not lose the slot to another patient after the money moved: while the payment child is
 * awaiting, the hold is extended shortly before it would lapse, so the common case never reaches
 * compensation (a `SlotTaken` at confirm and a refund).
 */
export async function keepHoldWhilePending(
  payment: Promise<unknown>,
  input: Pick<VisitInput, 'heldAtMs' | 'policy'>,
  extend: (heldUntilMs: number) => Promise<{ extended: boolean }>,
): Promise<void> {
  let settled = false;
  void payment.then(
    () => (settled = true),
    () => (settled = true),
  );
  let heldUntil = input.heldAtMs + (input.policy.holdMinutes + 1) * 60_000;
  for (;;) {
    await condition(() => settled, Math.max(1, heldUntil - EXTEND_BEFORE_MS - Date.now()));
    if (settled) return;
    heldUntil = Date.now() + EXTENSION_MS;
    const { extended } = await extend(heldUntil);
    if (!extended) return; // no longer ours: confirm will say so, and the visit compensates
  }
}
