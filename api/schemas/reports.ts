import { z } from 'zod';

const Day = z.iso.date('a day as YYYY-MM-DD');

export const ReportParams = z.object({ institutionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an institution id') });

/** A range of whole days, at most 93 of them. */
const inOrder = (q: { from: string; to: string }) => q.from <= q.to;
const notTooLong = (q: { from: string; to: string }) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 <= 92;

export const DemographicsQuery = z
  .object({ from: Day, to: Day, stage: z.string().regex(/^[a-z_]{1,32}$/, 'a stage name') })
  .strict()
  .refine(inOrder, { message: 'must not be after to', path: ['from'] })
  .refine(notTooLong, { message: 'at most 93 days', path: ['to'] });
export const FunnelQuery = z
  .object({
    from: Day,
    to: Day,
    /** Which journeys: the vertical's own (default); a merchant's or district's coupons; a transit operator's riders. */
    funnel: z.enum(['journeys', 'coupons', 'riders']).default('journeys'),
  })
  .strict()
  .refine(inOrder, { message: 'must not be after to', path: ['from'] })
  .refine(notTooLong, { message: 'at most 93 days', path: ['to'] });

const Entry = z.object({
  /** The count, or null when withheld. */
  value: z.number().int().nullable(),
  /** Why: released, small (1 … k-1), complementary (would give a small one back), earlier_release (differencing). */
  why: z.enum(['released', 'small', 'complementary', 'earlier_release']),
});

export const ReportTable = z
  .object({
    institutionId: z.string(),
    vertical: z.string(),
    from: z.string(),
    to: z.string(),
    /** No released cell holds 1 … k-1 people. */
    k: z.number().int(),
    rows: z.array(z.string()),
    cols: z.array(z.string()),
    cells: z.array(z.array(Entry)),
    rowTotals: z.array(Entry),
    colTotals: z.array(Entry),
    total: Entry,
  })
  .meta({ id: 'ReportTable' });
