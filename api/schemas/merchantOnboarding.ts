import { z } from 'zod';
import { ResidentIdNumber } from './residentId';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ or -');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A merchant's application. Shapes are checked here (naming every bad field at once); the code's
 * check character, the registry, the identity provider and the district are the workflow's checks,
 * so a rejection names each of those that failed.
 */
export const MerchantApplicationRequest = z
  .object({
    /** The applicant's own number for this application: applying again with it is harmless. */
    requestId: Id,
    /** The Unified Social Credit Code as printed on the business licence (spaces and lower case forgiven). */
    uscc: z
      .string()
      .max(40)
      .transform((v) => v.replace(/\s+/g, '').toUpperCase())
      .pipe(z.string().regex(/^[0-9A-Z]{18}$/, '18 letters or digits')),
    legalRepresentative: z
      .object({
        name: z.string().trim().min(1).max(64),
        idNumber: ResidentIdNumber,
      })
      .strict(),
    /** The bank account the merchant is settled to. */
    settlementAccount: z
      .string()
      .trim()
      .regex(/^\d{8,32}$/, 'an account number of 8 to 32 digits'),
    districtId: Id.optional(),
    storeName: z.string().trim().min(1).max(64),
    timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Asia/Shanghai'),
  })
  .strict()
  .meta({ id: 'MerchantApplicationRequest' });
export type MerchantApplicationRequest = z.infer<typeof MerchantApplicationRequest>;

export const MerchantApplicationAnswer = z
  .object({
    applicationId: z.string().uuid(),
    /** Shown to the applicant: it reads the status and collects the credentials, once, with it. */
    applicationToken: z.string(),
    status: z.string(),
    repeated: z.boolean(),
  })
  .meta({ id: 'MerchantApplicationAnswer' });

const NamedCheck = z.object({ check: z.string(), reason: z.string() });

export const MerchantApplicationView = z
  .object({
    applicationId: z.string().uuid(),
    uscc: z.string(),
    storeName: z.string(),
    districtId: z.string().nullable(),
    status: z.enum(['checking', 'review', 'approved', 'active', 'rejected', 'expired']),
    failedChecks: z.array(NamedCheck),
    reviewReasons: z.array(NamedCheck),
    reason: z.string().nullable(),
    reviewedBy: z.string().nullable(),
    merchantId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    decidedAt: z.string().nullable(),
    credentialsCollectedAt: z.string().nullable(),
  })
  .meta({ id: 'MerchantApplicationView' });

export const ApplicationParam = z.object({ applicationId: z.string().uuid('an application id') });

export const ReviewBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    /** Why, for the applicant: a short note, never personal data. */
    note: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const ReviewAnswer = z.object({
  applicationId: z.string().uuid(),
  decision: z.enum(['approve', 'reject']),
  /** The decision reached the workflow; the status route shows its effect. */
  accepted: z.literal(true),
});

export const MerchantCredentials = z
  .object({
    merchantId: z.string(),
    /** The HMAC secret the POS signs with: shown once, store it now. */
    hmacSecret: z.string(),
  })
  .meta({ id: 'MerchantCredentials' });
