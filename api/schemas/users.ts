import { z } from 'zod';
import { ResidentIdNumber } from './residentId';

export const RegisterUserRequest = z
  .object({
    legalName: z.string().trim().min(1).max(64),
    // Shape and GB 11643 checksum here, so a bad number is named with every other bad field at once.
    idNumber: ResidentIdNumber,
    phone: z
      .string()
      .trim()
      .regex(/^\+?\d{6,15}$/, 'a phone number of 6 to 15 digits'),
  })
  .meta({ id: 'RegisterUserRequest' });
export type RegisterUserRequest = z.infer<typeof RegisterUserRequest>;

/** What the API ever shows of a user: masked forms only. */
export const UserView = z
  .object({
    userId: z.string().uuid(),
    identityStatus: z.enum(['pending', 'verified', 'rejected', 'unverified']),
    legalName: z.string().describe('masked'),
    idNumber: z.string().describe('masked'),
    phone: z.string().describe('masked'),
  })
  .meta({ id: 'UserView' });
export type UserView = z.infer<typeof UserView>;

export const NoticesQuery = z.object({
  /** `nextCursor` of the previous page. */
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  institution: z.string().min(1).max(64).optional(),
  kind: z.string().min(1).max(64).optional(),
  unread: z.enum(['true', 'false']).optional(),
  /** Adds each notice's words from the message catalogue, in this language. */
  locale: z.enum(['zh-CN', 'en']).optional(),
});

export const NoticeView = z
  .object({
    noticeId: z.string(),
    institutionId: z.string(),
    journeyId: z.string(),
    /** e.g. `booked`, `turn_near`, `results_ready`: the app renders the words. */
    kind: z.string(),
    /** Ids, times and amounts only. */
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    readAt: z.string().nullable(),
    /** The notice in words, when a `locale` was asked for. */
    text: z.string().optional(),
  })
  .meta({ id: 'Notice' });

export const NoticesPage = z
  .object({ notices: z.array(NoticeView), unreadCount: z.number().int(), nextCursor: z.string().nullable() })
  .meta({ id: 'NoticesPage' });

export const MarkNoticesRead = z
  .object({
    noticeIds: z
      .array(z.string().regex(/^\d{1,18}$/, 'a notice id'))
      .min(1)
      .max(500)
      .optional(),
    /** Every notice up to and including this id. */
    upTo: z
      .string()
      .regex(/^\d{1,18}$/, 'a notice id')
      .optional(),
  })
  .strict()
  .refine((b) => (b.noticeIds === undefined) !== (b.upTo === undefined), { message: 'give noticeIds or upTo', path: ['noticeIds'] })
  .meta({ id: 'MarkNoticesRead' });

export const MyVisitsView = z
  .object({
    visits: z.array(
      z.object({
        bookingRef: z.string(),
        institutionId: z.string(),
        stage: z.string(),
        slotStart: z.string().nullable(),
        amountDue: z.number().int(),
        currency: z.string().nullable(),
        /** What the app should offer: pay_registration, check_in, pay_order, read_results; null when the patient waits. */
        nextAction: z.enum(['pay_registration', 'check_in', 'pay_order', 'read_results']).nullable(),
      }),
    ),
  })
  .meta({ id: 'MyVisits' });
