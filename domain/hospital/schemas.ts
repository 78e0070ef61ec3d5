import { z } from 'zod';
import { isCalendarDay } from './serviceDay';

/**
 * zod schemas for the hospital domain's values, for the boundaries (API, database seeding). Kept
 * apart from the rules: workflow code imports the rules, and every workflow run would otherwise
 * evaluate all of zod again. The doctor's queue, which only workflows read, is checked by hand in
 * `workflows/hospital/queue/validate.ts`.
 */

export const ServiceDay = z.string().refine(isCalendarDay, 'expected a calendar day yyyy-mm-dd');
