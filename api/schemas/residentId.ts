import { z } from 'zod';
import { checkResidentId } from '../../domain/residentId';

/** A resident ID number (GB 11643): shape and check character at the boundary, so a bad one is named with every other bad field. */
export const ResidentIdNumber = z
  .string()
  .trim()
  .regex(/^\d{17}[\dXx]$/, 'an 18-character resident ID number')
  .superRefine((v, ctx) => {
    const check = checkResidentId(v, new Date());
    if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
  });
