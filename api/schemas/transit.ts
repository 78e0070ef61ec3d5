import { z } from 'zod';

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
