import { z } from 'zod';
import { checkResidentId } from '../../domain/residentId';

export const RegisterUserRequest = z
  .object({
    legalName: z.string().trim().min(1).max(64),
    // Shape and GB 11643 checksum here, so a bad number is named with every other bad field at once.
    idNumber: z
      .string()
      .trim()
      .regex(/^\d{17}[\dXx]$/, 'an 18-character resident ID number')
      .superRefine((v, ctx) => {
        const check = checkResidentId(v, new Date());
        if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
      }),
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
