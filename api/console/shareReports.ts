import { channelShareReport, type ChannelShareDay } from '../../db/queries/channelShare';
import { GENDERS } from '../../db/queries/journeyReports';
import { spendingBandsReport } from '../../db/queries/spendingBands';
import { DomainError, ErrorCode } from '../../domain/errors';
import { ChannelShareQuery, SpendingBandsQuery } from '../schemas/channelShare';
import { html } from './html';
import { dateFields, parseWindow, suppressionIntro, verticalOf, windowOf, type ReportPage } from './reports';
import { count, text, type Cell, type ConsoleTable } from './tables';

/**
 * The channel-share and spending-band pages: the same query modules as the signed reports
 * (db/queries/channelShare.ts, spendingBands.ts), so the page, its CSV and the API release the same cells.
 */

const share = (value: number | null): Cell => ({ kind: 'percent', value });
const hourLabel = (h: number | null) => (h === null ? '—' : `${String(h).padStart(2, '0')}:00`);

const WHAT_IS_COUNTED: Record<string, string> = {
  hospital: 'bookings (every channel: the HIS reports its window, phone and other apps)',
  transit: 'rides (the AFC reports every medium)',
  retail: 'paid sales (the POS reports every tender)',
};

function daysTable(days: readonly ChannelShareDay[], overall: { causeway: Cell; total: Cell; share: number | null }): ConsoleTable {
  return {
    id: 'channel-share-days',
    caption: 'Causeway’s share per day, with the busiest hour',
    head: ['Day', 'Through Causeway', 'All channels', 'Share', 'Peak hour', 'Share at the peak'],
    rows: [
      ...days.map((d) => ({
        label: d.day,
        cells: [count(d.causeway), count(d.total), share(d.share), text(hourLabel(d.peakHour)), share(d.peakShare)],
      })),
      { label: 'All days', cells: [overall.causeway, overall.total, share(overall.share), text('—'), share(null)] },
    ],
  };
}

function hoursTable(day: ChannelShareDay): ConsoleTable {
  return {
    id: 'channel-share-hours',
    caption: `Per hour on ${day.day}`,
    head: ['Hour', 'Through Causeway', 'All channels', 'Share'],
    rows: day.hours.map((h) => ({ label: hourLabel(h.hour), cells: [count(h.causeway), count(h.total), share(h.share)] })),
  };
}

export const channelSharePage: ReportPage = {
  slug: 'channel-share',
  title: 'Channel share',
  appliesTo: (i) => verticalOf(i) !== undefined,
  async load(ctx, raw) {
    const w = parseWindow(ChannelShareQuery, windowOf(raw, ctx), ctx);
    const r = await channelShareReport(ctx.db, {
      institutionId: ctx.institution.id,
      vertical: ctx.vertical,
      from: w.from,
      to: w.to,
      k: ctx.k,
    });
    const last = r.days[r.days.length - 1];
    return {
      query: { from: w.from, to: w.to },
      intro: html`<p class="lead">
          Of the institution’s ${WHAT_IS_COUNTED[ctx.vertical] ?? 'volume'}, the part made through Causeway, between ${w.from} and ${w.to}.
        </p>
        ${suppressionIntro(ctx.k)}
        <p class="legend">
          A total is shown only beside a released Causeway count: otherwise the two together would give the withheld count back.
        </p>`,
      fields: dateFields(w),
      charts: [
        {
          id: 'channel-share-chart',
          type: 'line',
          label: 'Causeway’s share per day, percent (withheld days are gaps)',
          labels: r.days.map((d) => d.day),
          datasets: [{ label: 'Share (%)', data: r.days.map((d) => d.share) }],
        },
      ],
      tables: [
        daysTable(r.days, { causeway: count(r.overall.causeway), total: count(r.overall.total), share: r.overall.share }),
        // POS totals come per day: an hours table only where the institution reports hours.
        ...(last && last.hours.some((h) => h.total.why !== 'not_reported') ? [hoursTable(last)] : []),
      ],
    };
  },
};

const BAND_LABEL: Readonly<Record<string, string>> = {
  under_1k: 'Under ¥1,000',
  '1k_5k': '¥1,000 – 5,000',
  '5k_20k': '¥5,000 – 20,000',
  '20k_50k': '¥20,000 – 50,000',
  '50k_plus': '¥50,000 and more',
};

export const spendingBandsPage: ReportPage = {
  slug: 'spending-bands',
  title: 'Spending bands',
  appliesTo: (i) => verticalOf(i) !== undefined,
  async load(ctx, raw) {
    const parsed = SpendingBandsQuery.safeParse({ year: raw.year || ctx.today.slice(0, 4) });
    if (!parsed.success || String(parsed.data.year) > ctx.today.slice(0, 4))
      throw new DomainError(ErrorCode.ValidationFailed, 'not a year with reports', {
        fields: [{ field: 'year', message: 'a year from 2000 to this one' }],
      });
    const year = parsed.data.year;
    const r = await spendingBandsReport(ctx.db, { institutionId: ctx.institution.id, year, k: ctx.k, maxAgeMs: ctx.spendingBandsMaxAgeMs });
    const t = r.release.table;
    const table: ConsoleTable = {
      id: 'spending-bands',
      caption: `People who paid here in ${year}, by what they spent through Causeway that year, and gender`,
      head: ['Yearly spending', ...GENDERS.map((g) => g[0]!.toUpperCase() + g.slice(1)), 'All genders'],
      rows: [
        ...r.rows.map((band, i) => ({ label: BAND_LABEL[band] ?? band, cells: [...t.cells[i]!.map(count), count(t.rowTotals[i]!)] })),
        { label: 'All bands', cells: [...t.colTotals.map(count), count(t.total)] },
      ],
    };
    return {
      query: { year: String(year) },
      intro: html`<p class="lead">
          Distinct people who paid this institution in ${year}, by their yearly spending band (paid less refunded, everywhere through
          Causeway), as recomputed at ${r.refreshedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.
        </p>
        ${suppressionIntro(ctx.k)}`,
      fields: html`<label for="year"
        >Year<input id="year" name="year" type="number" min="2000" max="${ctx.today.slice(0, 4)}" value="${String(year)}" required
      /></label>`,
      charts: [],
      tables: [table],
    };
  },
};
