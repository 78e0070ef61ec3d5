/**
 * The visit's stages, in a module without dependencies so the workflow bundle can import the
 * values (types.ts builds the zod enum from the same list).
 */
const TERMINAL = [
  'closed',
  'cancelled',
  'expired',
  'rejected',
  'no_show',
  /** Checked in, but the doctor's queue closed before the patient was seen: fee refunded in full, slot and HIS booking released. */
  'not_seen',
  /** Ended by a failure or an operator's cancel after compensation: slot, HIS hold and orders released, money refunded. */
  'failed',
] as const;

export const VISIT_STAGES = ['holding', 'awaiting_payment', 'booked', 'queued', 'called', ...TERMINAL] as const;

/** Stages a visit never leaves. */
export const TERMINAL_VISIT_STAGES: ReadonlySet<(typeof VISIT_STAGES)[number]> = new Set(TERMINAL);
