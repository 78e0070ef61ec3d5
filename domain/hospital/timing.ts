import { DomainError, ErrorCode } from '../errors';

/** Instants of a booking's life, all epoch milliseconds (UTC). */

const MINUTE = 60_000;

function assertInstant(field: string, ms: number): void {
  if (!Number.isSafeInteger(ms))
    throw new DomainError(ErrorCode.ValidationFailed, `${field} must be epoch milliseconds`, {
      fields: [{ field, message: 'integer expected' }],
    });
}

function assertMinutes(field: string, minutes: number): void {
  if (!Number.isInteger(minutes) || minutes < 0)
    throw new DomainError(ErrorCode.ValidationFailed, `${field} must be whole non-negative minutes`, {
      fields: [{ field, message: 'non-negative integer expected' }],
    });
}

/**
 * When to remind: `leadMinutes` before the slot, or at once when the booking is made later than
 * that. No reminder (null) when the booking is made at or after the slot start.
 */
export function reminderAt(args: { slotStartMs: number; bookedAtMs: number; leadMinutes: number }): number | null {
  assertInstant('slotStartMs', args.slotStartMs);
  assertInstant('bookedAtMs', args.bookedAtMs);
  assertMinutes('leadMinutes', args.leadMinutes);
  if (args.bookedAtMs >= args.slotStartMs) return null;
  return Math.max(args.bookedAtMs, args.slotStartMs - args.leadMinutes * MINUTE);
}

/**
 * The registration fee is due `holdMinutes` after the hold, never after the slot start (a hold made
 * moments before the slot gets only the time that is left).
 */
export function paymentDeadline(args: { heldAtMs: number; slotStartMs: number; holdMinutes: number }): number {
  assertInstant('heldAtMs', args.heldAtMs);
  assertInstant('slotStartMs', args.slotStartMs);
  assertMinutes('holdMinutes', args.holdMinutes);
  return Math.min(args.heldAtMs + args.holdMinutes * MINUTE, args.slotStartMs);
}

/** The last instant a check-in still counts: slot start + grace. */
export function noShowAt(args: { slotStartMs: number; graceMinutes: number }): number {
  assertInstant('slotStartMs', args.slotStartMs);
  assertMinutes('graceMinutes', args.graceMinutes);
  return args.slotStartMs + args.graceMinutes * MINUTE;
}

/**
 * A no-show: the grace period is over and the patient did not check in within it (a check-in after
 * the grace period does not undo the no-show). Before the end of grace nobody is a no-show yet.
 */
export function isNoShow(args: { slotStartMs: number; graceMinutes: number; checkedInAtMs: number | null; nowMs: number }): boolean {
  assertInstant('nowMs', args.nowMs);
  const deadline = noShowAt(args);
  if (args.nowMs <= deadline) return false;
  return args.checkedInAtMs === null || args.checkedInAtMs > deadline;
}
