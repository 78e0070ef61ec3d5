import { z } from 'zod';
import { RIDER_DAY_STAGES } from '../../workflows/transit/riderDay/types';

export const OperatorParam = z.object({ operatorId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1-64)') });

export const EnrolRequest = z
  .object({
    /** Where the user's browser returns after signing the agreement (the partner app's page). */
    returnUrl: z
      .url({ protocol: /^https?$/ })
      .max(512)
      .optional(),
  })
  .strict()
  .meta({ id: 'TransitEnrolRequest' });
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const EnrolmentView = z
  .object({
    operatorId: z.string(),
    /** Causeway's keyed reference of this rider (never the user id). */
    riderRef: z.string(),
    status: z.enum(['pending', 'active', 'cancelling', 'cancelled']),
    riderCategory: z.string(),
    inDebt: z.boolean(),
    enrolledAt: z.string(),
    agreement: z.object({
      externalAgreementNo: z.string().nullable(),
      signed: z.boolean(),
      signedAt: z.string().nullable(),
      /** Present while pending: the payment platform's page where the user signs the withholding agreement. */
      signUrl: z.string().optional(),
    }),
    cancelRequestedAt: z.string().nullable(),
  })
  .meta({ id: 'TransitEnrolment' });
export type EnrolmentView = z.infer<typeof EnrolmentView>;

/** Raw Ed25519 public key of the rider's device: 32 bytes, base64url without padding (43 characters). */
export const DevicePublicKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'a raw Ed25519 public key: 32 bytes, base64url without padding')
  .refine((s) => Buffer.from(s, 'base64url').toString('base64url') === s, 'not canonical base64url')
  .refine((s) => !/^A{42}[AE]$/.test(s), 'not a usable public key');

export const CredentialRequest = z.object({ devicePublicKey: DevicePublicKey }).strict().meta({ id: 'TransitCredentialRequest' });
export type CredentialRequest = z.infer<typeof CredentialRequest>;

export const CredentialIssued = z
  .object({
    /** The level-1 credential, base64url: the app signs codes over it with the device key. */
    credential: z.string(),
    keyId: z.string(),
    pseudonym: z.string(),
    riderCategory: z.string(),
    validFrom: z.string(),
    validUntil: z.string(),
  })
  .meta({ id: 'TransitCredential' });

export const IssuerKeySetView = z
  .object({
    operatorId: z.string(),
    version: z.number().int().positive(),
    /** base64url(JSON) "." base64url(Ed25519 signature by the operator's root key). */
    keySet: z.string(),
  })
  .meta({ id: 'TransitIssuerKeySet' });

export const AgreementNotificationForm = z.record(z.string(), z.string()).meta({ id: 'AgreementNotificationForm' });

// AFC taps and the rider's trips.

/** Ids as AFC systems and GTFS feeds write them: short printable tokens. */
const Token = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
    .min(1)
    .max(max);

export const AfcTap = z
  .object({
    tapId: Token(64),
    /** The rotating pseudonym from the rider's credential, as the gate read it. */
    pseudonym: Token(128),
    stopId: Token(64).optional(),
    routeId: Token(64).optional(),
    deviceId: Token(64),
    tapType: z.enum(['on', 'off', 'unknown']),
    gateDecision: z.enum(['allow', 'deny']),
    /** When the gate saw the code, with its UTC offset. */
    transactionAt: z.iso.datetime({ offset: true }),
  })
  .refine((t) => t.stopId !== undefined || t.routeId !== undefined, { message: 'a tap names its stopId or its routeId', path: ['stopId'] })
  .meta({ id: 'AfcTap' });
export type AfcTap = z.infer<typeof AfcTap>;

/** The batch schema for a configured size limit (the OpenAPI document shows the process's limit). */
export function afcTapBatch(maxTaps: number) {
  return z.object({ taps: z.array(AfcTap).min(1).max(maxTaps) }).meta({ id: 'AfcTapBatch' });
}

export const TapResult = z
  .object({
    tapId: z.string(),
    /**
     * `accepted`: stored and on its way to the rider's day. `duplicate`: this tap id was stored before;
     * nothing changed. `unknown_rider`: stored, but no credential of this operator names the pseudonym
     * yet (priced once one does). `rejected`: not stored; `reason` says why.
     */
    status: z.enum(['accepted', 'duplicate', 'unknown_rider', 'rejected']),
    reason: z.enum(['foreign_pseudonym', 'time_in_future', 'time_too_old']).optional(),
    serviceDay: z.string().optional(),
  })
  .meta({ id: 'TapResult' });
export type TapResult = z.infer<typeof TapResult>;

export const TapBatchResult = z
  .object({
    results: z.array(TapResult),
    counts: z.object({
      accepted: z.number().int(),
      duplicate: z.number().int(),
      unknownRider: z.number().int(),
      rejected: z.number().int(),
    }),
  })
  .meta({ id: 'TapBatchResult' });

export const TripsQuery = z.object({ day: z.iso.date().optional() });

const Adjustment = z.object({ type: z.enum(['transfer', 'daily_cap', 'weekly_cap']), ruleId: z.string(), amount: z.number().int() });
export const TripView = z
  .object({
    journeyId: z.string(),
    kind: z.enum(['complete', 'auto_completed', 'maximum_fare', 'unpriced']),
    incomplete: z.enum(['missing_tap_off', 'missing_tap_on']).nullable(),
    networkId: z.string(),
    fromStopId: z.string().nullable(),
    toStopId: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    fareProductId: z.string().nullable(),
    /** The journey's trace: nominal fare, each adjustment with its rule, what it was charged. */
    nominal: z.number().int(),
    adjustments: z.array(Adjustment),
    charged: z.number().int(),
    countsTowardCaps: z.boolean(),
  })
  .meta({ id: 'TripView' });

export const CapProgressView = z
  .object({
    capId: z.string(),
    period: z.enum(['day', 'week']),
    /** Counted toward the cap so far (for a weekly cap, earlier ended days of the week included). */
    counted: z.number().int(),
    cap: z.number().int(),
    reached: z.boolean(),
  })
  .meta({ id: 'CapProgress' });

export const TripsView = z
  .object({
    operatorId: z.string(),
    serviceDay: z.string(),
    /**
     * `open`: no tap seen for the day. `priced`: running fare. `awaiting_settlement`: the day is over
     * and being charged. `settled` / `nothing_due`: done. `charge_retrying`: the charge was refused and
     * is tried again (see `settlement.nextAttemptAt`). `in_debt`: refused past the retry policy; the
     * rider is on the gates' deny list until the debt is paid.
     */
    stage: z.enum(['open', ...RIDER_DAY_STAGES]),
    currency: z.string().nullable(),
    /** The running fare: what the day costs with the taps seen so far, minor units. Null when no fare rules apply yet. */
    fare: z.number().int().nullable(),
    maximumFares: z.number().int(),
    caps: z.array(CapProgressView),
    trips: z.array(TripView),
    taps: z.object({ total: z.number().int(), denied: z.number().int() }),
    /** Null while the day takes taps. Amounts in minor units of `currency`. */
    settlement: z
      .object({
        /** What the day costs by its trace. */
        due: z.number().int(),
        /** Paid for the day so far, net of refunds. */
        paid: z.number().int(),
        /** Refused and still owed. */
        owed: z.number().int(),
        attempts: z.number().int(),
        refusal: z.string().nullable(),
        nextAttemptAt: z.string().nullable(),
        /** A difference found by taps past the late-tap window: never charged. */
        waived: z.number().int(),
      })
      .nullable(),
  })
  .meta({ id: 'TransitTrips' });
export type TripsView = z.infer<typeof TripsView>;

export const DenyListQuery = z.object({
  /** The version the gate holds (0 for none): the answer carries every change after it. */
  since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});

export const DenyListDeltaView = z
  .object({
    operatorId: z.string(),
    fromVersion: z.number().int(),
    /** The list's version now; equal to `fromVersion` when nothing changed (then `delta` is null). */
    version: z.number().int(),
    /** base64url(JSON) "." base64url(Ed25519 signature by the operator's root key): pseudonyms to add and remove. */
    delta: z.string().nullable(),
  })
  .meta({ id: 'TransitDenyListDelta' });

export const OwedDayView = z
  .object({
    serviceDay: z.string(),
    /** `charge_retrying`: the charge is tried again at `nextAttemptAt`. `in_debt`: denied at the gates until paid. */
    stage: z.enum(['charge_retrying', 'in_debt']),
    /** Exactly what is owed for the day, minor units of `currency`. */
    owed: z.number().int(),
    currency: z.string(),
    /** Why the last charge was refused: insufficient_balance, agreement_invalid, no_agreement or declined. */
    reason: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    /** The newest QR order asked for with pay-debt; `qrCode` is what the app renders for the payer. */
    payment: z.object({ outTradeNo: z.string(), amount: z.number().int(), status: z.string(), qrCode: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'TransitOwedDay' });

export const DebtView = z
  .object({
    operatorId: z.string(),
    /** True while any day is in debt: the gates refuse the rider's codes and no new credential is issued. */
    inDebt: z.boolean(),
    /** The sum of `days[].owed` (one currency per operator). */
    totalOwed: z.number().int(),
    days: z.array(OwedDayView),
  })
  .meta({ id: 'TransitDebt' });
export type DebtView = z.infer<typeof DebtView>;

export const PayDebtRequest = z
  .object({ serviceDay: z.iso.date().optional().describe('one owed day; every owed day when absent') })
  .meta({ id: 'TransitPayDebtRequest' });

export const PayDebtAccepted = z
  .object({
    /** Days whose QR order is being made; read it with GET …/debt (a few hundred ms). */
    requested: z.array(z.string()),
  })
  .meta({ id: 'TransitPayDebtAccepted' });

export const ClaimRequest = z
  .object({
    serviceDay: z.iso.date(),
    /** The incomplete journey, as `trips[].journeyId` of the day. */
    journeyId: z.string().min(1).max(128),
    /** Where the rider left the system. */
    toStopId: z.string().min(1).max(64),
  })
  .strict()
  .meta({ id: 'TransitClaimRequest' });

export const ClaimView = z
  .object({
    claimId: z.string(),
    serviceDay: z.string(),
    journeyId: z.string(),
    toStopId: z.string(),
    /** `accepted`: the journey is priced as ending there and the difference is refunded when the day settles again. */
    status: z.enum(['accepted', 'refused']),
    /** not_incomplete, unknown_stop, inconsistent_with_taps or monthly_limit. */
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'TransitClaim' });

export const ClaimsView = z
  .object({
    /** Accepted claims left this calendar month. */
    remainingThisMonth: z.number().int(),
    claims: z.array(ClaimView),
  })
  .meta({ id: 'TransitClaims' });

/** At most a quarter per request: a report is read by a person, not exported. */
export const MAX_REPORT_DAYS = 92;

export const ReportQuery = z
  .object({ from: z.iso.date(), to: z.iso.date() })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_REPORT_DAYS, {
    message: `at most ${MAX_REPORT_DAYS} days`,
    path: ['to'],
  });

export const OperatorDayReportView = z
  .object({
    serviceDay: z.string(),
    /** Riders who tapped that day. */
    riders: z.number().int(),
    days: z.object({ settled: z.number().int(), inDebt: z.number().int(), retrying: z.number().int(), open: z.number().int() }),
    /** Paid for the day's rides, net of refunds, minor units. */
    revenue: z.number().int(),
    /** Refused and still owed. */
    owed: z.number().int(),
    /** Found too late to charge (taps past the late-tap window). */
    waived: z.number().int(),
    ridersCapped: z.number().int(),
    journeys: z.number().int(),
    incompleteJourneys: z.number().int(),
    incompleteRate: z.number(),
    maximumFares: z.number().int(),
    currency: z.string().nullable(),
  })
  .meta({ id: 'TransitOperatorDay' });

export const OperatorReportView = z
  .object({ operatorId: z.string(), from: z.string(), to: z.string(), days: z.array(OperatorDayReportView) })
  .meta({ id: 'TransitOperatorReport' });
