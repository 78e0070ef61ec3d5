import { z } from 'zod';

/**
 * A hospital's booking rules, kept in `institutions.settings` and passed into the visit workflow.
 * Durations are whole minutes so that a policy never needs floating point.
 */
export const LateCancellationRule = z.discriminatedUnion('kind', [
  /** Keep a share of what was paid: 2 000 basis points = 20 %. */
  z.object({ kind: z.literal('percentFee'), feeBasisPoints: z.number().int().min(0).max(10_000) }),
  /** Keep a fixed fee, capped at what was paid. */
  z.object({ kind: z.literal('fixedFee'), feeMinor: z.number().int().nonnegative().refine(Number.isSafeInteger) }),
  /** Nothing back once past the cut-off. */
  z.object({ kind: z.literal('noRefund') }),
]);
export type LateCancellationRule = z.infer<typeof LateCancellationRule>;

export const HospitalPolicy = z.object({
  /** Cancelling strictly earlier than this many minutes before the slot start refunds in full. */
  fullRefundCutoffMinutes: z
    .number()
    .int()
    .nonnegative()
    .default(24 * 60),
  /** Applies from the cut-off until the slot starts; after the start nothing is refunded. */
  lateCancellation: LateCancellationRule.default({ kind: 'percentFee', feeBasisPoints: 2_000 }),
  /** The reminder goes out this long before the slot (at once if the booking is later than that). */
  reminderLeadMinutes: z
    .number()
    .int()
    .positive()
    .default(2 * 60),
  /** How long a held slot waits for the registration fee. */
  holdMinutes: z.number().int().positive().default(15),
  /** Not checked in by the slot start plus this grace → no-show. */
  noShowGraceMinutes: z.number().int().nonnegative().default(15),
  /**
   * HL7 has no "consultation over" event: once the patient was called and every order is settled,
   * the visit closes after this long without a new order or result (or at the end of the day).
   */
  visitQuietCloseSeconds: z.number().int().nonnegative().default(3600),
  /**
   * An HIS cancel (SIU^S15) or no-show (SIU^S26) sent while a visit ends is retried this long while
   * the HIS is down or silent; then the visit ends without it and the audit log says so.
   */
  hisUndoGiveUpSeconds: z
    .number()
    .int()
    .positive()
    .default(24 * 3600),
});
export type HospitalPolicy = z.infer<typeof HospitalPolicy>;

export const DEFAULT_HOSPITAL_POLICY: HospitalPolicy = HospitalPolicy.parse({});
