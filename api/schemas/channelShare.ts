import { z } from 'zod';
import { CHANNEL_CODE } from '../../domain/analytics/channelShare';

const Day = z.iso.date('a day as YYYY-MM-DD');
const Code = (what: string) => z.string().regex(CHANNEL_CODE, `${what}: a lower-case code (a-z, 0-9, _), at most 32 characters`);
const Count = z.number().int().min(0).max(100_000_000);
const Hour = z.number().int().min(0).max(23);

/** No two rows of a summary may name the same (hour, channel): say which one repeats. */
function uniqueRows<T>(key: (r: T) => string, path: string) {
  return (rows: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    rows.forEach((r, i) => {
      const k = key(r);
      if (seen.has(k)) ctx.addIssue({ code: 'custom', message: 'repeats an earlier row (same hour and channel)', path: [i, path] });
      seen.add(k);
    });
  };
}

/**
 * A transit operator's AFC daily summary: rides per medium, by hour (local to the operator) or for the
 * whole day. Causeway's own medium may be among them: the total is what the operator counts.
 */
export const AfcDailySummary = z
  .object({
    day: Day,
    rides: z
      .array(z.object({ medium: Code('a fare medium'), hour: Hour.optional(), count: Count }).strict())
      .min(1)
      .max(24 * 16)
      .superRefine(uniqueRows((r) => `${r.hour ?? 'day'}|${r.medium}`, 'medium')),
  })
  .strict()
  .meta({ id: 'AfcDailySummary' });

/** A merchant's POS totals for one local day: transactions per tender type (Causeway's among them). */
export const PosDailyTotals = z
  .object({
    day: Day,
    tenders: z
      .array(z.object({ tender: Code('a tender type'), count: Count }).strict())
      .min(1)
      .max(32)
      .superRefine(uniqueRows((r) => r.tender, 'tender')),
  })
  .strict()
  .meta({ id: 'PosDailyTotals' });

export const ChannelTotalsStored = z
  .object({
    /** Figures stored now. */
    stored: z.number().int(),
    /** Figures that repeated what was stored before (harmless). */
    unchanged: z.number().int(),
  })
  .meta({ id: 'ChannelTotalsStored' });

const inOrder = (q: { from: string; to: string }) => q.from <= q.to;

export const ChannelShareQuery = z
  .object({ from: Day, to: Day })
  .strict()
  .refine(inOrder, { message: 'must not be after to', path: ['from'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 <= 30, { message: 'at most 31 days', path: ['to'] });

export const SpendingBandsQuery = z.object({ year: z.coerce.number().int().min(2000).max(2100) }).strict();

const Released = z.object({
  value: z.number().int().nullable(),
  why: z.enum(['released', 'small', 'complementary', 'earlier_release']),
});
const Total = z.object({
  /** The institution's total from every channel, or null when withheld. */
  value: z.number().int().nullable(),
  /** numerator_withheld: shown only beside a released Causeway count; not_reported: no figure was sent. */
  why: z.enum(['released', 'small', 'complementary', 'earlier_release', 'numerator_withheld', 'not_reported']),
});
const Share = z.number().nullable().describe('Causeway’s count over the total, in percent (one decimal); null unless both are released');

export const ChannelShareReportBody = z
  .object({
    institutionId: z.string(),
    vertical: z.enum(['hospital', 'transit', 'retail']),
    /** The journey stage Causeway counts: booked (hospital), ride (transit), paid (retail). */
    stage: z.string(),
    from: z.string(),
    to: z.string(),
    k: z.number().int(),
    days: z.array(
      z.object({
        day: z.string(),
        causeway: Released,
        total: Total,
        share: Share,
        peakHour: z.number().int().nullable(),
        peakShare: Share,
        hours: z.array(z.object({ hour: z.number().int(), causeway: Released, total: Total, share: Share })),
      }),
    ),
    overall: z.object({ causeway: Released, total: Total, share: Share }),
  })
  .meta({ id: 'ChannelShareReport' });
