import type { DataSource } from 'typeorm';
import { type z } from 'zod';
import {
  AGE_BANDS,
  demographicsReport,
  FUNNELS,
  funnelReport,
  GENDERS,
  OTHER_FUNNELS,
  type OtherFunnel,
  type Report,
  type Vertical,
} from '../../db/queries/journeyReports';
import type { ConsoleInstitution } from '../../db/queries/consoleInstitutions';
import { DomainError, ErrorCode } from '../../domain/errors';
import { addDays } from '../../domain/hospital/serviceDay';
import { DemographicsQuery, FunnelQuery } from '../schemas/reports';
import { html, type Html } from './html';
import { count, percentOf, text, type Cell, type ConsoleTable, type Why } from './tables';

/**
 * An institution's report pages. Each reads through its query module (which applies suppression and
 * the release ledger) and returns tables in the console's one table model, so the page and its CSV
 * show the same cells. A new report is one more entry in REPORT_PAGES (reportPages.ts).
 */
export interface ReportContext {
  db: DataSource;
  k: number;
  institution: ConsoleInstitution;
  vertical: Vertical;
  /** The institution's local day today: reports cover whole days before it. */
  today: string;
  /** How old a spending-bands recomputation may be before a report recomputes the year. */
  spendingBandsMaxAgeMs: number;
}

export interface ChartSpec {
  id: string;
  type: 'bar' | 'line';
  label: string;
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null> }>;
}

export interface LoadedReport {
  /** The query the tables were made for (goes into CSV links). */
  query: Record<string, string>;
  intro: Html;
  /** The page's filter form fields (inside a GET form that also has from/to). */
  fields?: Html;
  charts: ChartSpec[];
  tables: ConsoleTable[];
}

export interface ReportPage {
  slug: string;
  title: string;
  /** Which institutions have this report. */
  appliesTo(i: ConsoleInstitution): boolean;
  load(ctx: ReportContext, query: Record<string, string | undefined>): Promise<LoadedReport>;
}

const VERTICAL_OF_KIND: Readonly<Record<string, Vertical>> = { hospital: 'hospital', transit: 'transit', merchant: 'retail' };

/** The vertical whose journeys an institution's reports count; districts have none of their own (their merchants do). */
export function verticalOf(i: ConsoleInstitution): Vertical | undefined {
  return VERTICAL_OF_KIND[i.kind];
}

/** The stage a journey of the vertical has succeeded at: the dashboard's completion. */
export const COMPLETION_STAGE: Record<Vertical, string> = { hospital: 'closed', transit: 'settled', retail: 'paid' };

export const STAGE_LABEL: Readonly<Record<string, string>> = {
  holding: 'Slot held',
  awaiting_payment: 'Awaiting payment',
  booked: 'Booked',
  queued: 'Checked in',
  called: 'Called',
  closed: 'Closed',
  priced: 'Riding',
  awaiting_settlement: 'Awaiting settlement',
  settled: 'Settled',
  in_debt: 'In debt',
  pricing: 'Pricing',
  paying: 'Paying',
  paid: 'Paid',
  ride: 'Rides',
  claimed: 'Coupon claimed',
  used: 'Coupon used',
  refunded: 'Coupon refunded',
  enrolled: 'Enrolled',
  first_ride: 'First ride',
  cleared: 'Debt cleared',
};
export const stageLabel = (s: string) => STAGE_LABEL[s] ?? s;

/** The last seven whole days, by default. */
export function defaultWindow(today: string): { from: string; to: string } {
  return { from: addDays(today, -7), to: addDays(today, -1) };
}

export function parseWindow<T extends z.ZodType>(schema: T, raw: Record<string, string | undefined>, ctx: ReportContext): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new DomainError(ErrorCode.ValidationFailed, 'the report’s dates are not valid', {
      fields: parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'query', message: i.message })),
    });
  const q = parsed.data as { to: string };
  if (q.to >= ctx.today)
    throw new DomainError(ErrorCode.ValidationFailed, 'reports cover whole past days', {
      fields: [{ field: 'to', message: 'must be before today (the institution’s local day)' }],
    });
  return parsed.data;
}

export const windowOf = (raw: Record<string, string | undefined>, ctx: ReportContext) => {
  const d = defaultWindow(ctx.today);
  return { from: raw.from || d.from, to: raw.to || d.to };
};

export const released = (e: { value: number | null }) => e.value;

/** The funnel as the dashboard and the funnel page read it: the vertical's journeys, or another funnel of it. */
export async function readFunnel(ctx: ReportContext, w: { from: string; to: string }, funnel?: OtherFunnel): Promise<Report> {
  return funnelReport(ctx.db, {
    institutionId: ctx.institution.id,
    vertical: ctx.vertical,
    from: w.from,
    to: w.to,
    k: ctx.k,
    ...(funnel ? { funnel } : {}),
  });
}

/** The funnels an institution of the vertical can choose between (its journeys first). */
function funnelsOf(vertical: Vertical): Array<{ id: 'journeys' | OtherFunnel; label: string }> {
  const others = (Object.keys(OTHER_FUNNELS) as OtherFunnel[]).filter((f) => OTHER_FUNNELS[f].vertical === vertical);
  return [{ id: 'journeys', label: 'Journeys' }, ...others.map((f) => ({ id: f, label: f === 'coupons' ? 'Coupons' : 'Riders' }))];
}

/**
 * The funnel's total for each step. A window without a single journey has no day rows, and so no
 * margins: every step's total is then a true 0.
 */
export function stepTotals(r: Report): Array<{ value: number | null; why: Why }> {
  return r.cols.map((_, i) => r.release.table.colTotals[i] ?? { value: 0, why: 'released' as const });
}

/** Per step: journeys reaching it, and of those reaching the step before, the share that went on and the share lost. */
export function funnelStepsTable(r: Report): ConsoleTable {
  const totals = stepTotals(r);
  return {
    id: 'funnel-steps',
    caption: 'Completion and abandonment per step',
    head: ['Step', 'Journeys reaching it', 'Completion from previous step', 'Abandonment at previous step', 'Share of first step'],
    rows: r.cols.map((stage, i) => {
      const reached = count(totals[i]!);
      const prev: Cell = i === 0 ? reached : count(totals[i - 1]!);
      const completion = i === 0 ? text('—') : percentOf(reached, prev);
      const abandonment: Cell =
        i === 0
          ? text('—')
          : completion.kind === 'percent' && completion.value !== null
            ? { kind: 'percent', value: Math.round((100 - completion.value) * 10) / 10 }
            : { kind: 'percent', value: null };
      return { label: stageLabel(stage), cells: [reached, completion, abandonment, percentOf(reached, count(totals[0]!))] };
    }),
  };
}

export function funnelDaysTable(r: Report): ConsoleTable {
  const t = r.release.table;
  return {
    id: 'funnel-days',
    caption: 'Journeys reaching each step, per day',
    head: ['Day', ...r.cols.map(stageLabel)],
    rows: [
      ...r.rows.map((day, i) => ({ label: day, cells: t.cells[i]!.map(count) })),
      { label: 'All days', cells: stepTotals(r).map(count) },
    ],
  };
}

export const dateFields = (w: { from: string; to: string }) =>
  html`<label for="from">From<input id="from" name="from" type="date" value="${w.from}" required /></label>
    <label for="to">To<input id="to" name="to" type="date" value="${w.to}" required /></label>`;

export const suppressionIntro = (k: number) =>
  html`<p class="legend">
    Counts of 1 to ${k - 1} journeys are withheld (<em>small cell</em>), and so are the cells that would give them back from the totals
    (<em>complementary</em>) or from what this institution was shown before (<em>earlier release</em>). Shares are computed from released
    counts only.
  </p>`;

export const funnelPage: ReportPage = {
  slug: 'funnel',
  title: 'Funnel',
  appliesTo: (i) => verticalOf(i) !== undefined,
  async load(ctx, raw) {
    const choices = funnelsOf(ctx.vertical);
    const w = parseWindow(FunnelQuery, { ...windowOf(raw, ctx), ...(raw.funnel ? { funnel: raw.funnel } : {}) }, ctx);
    if (!choices.some((c) => c.id === w.funnel))
      throw new DomainError(ErrorCode.ValidationFailed, 'no such funnel here', {
        fields: [{ field: 'funnel', message: `one of ${choices.map((c) => c.id).join(', ')}` }],
      });
    const r = await readFunnel(ctx, w, w.funnel === 'journeys' ? undefined : w.funnel);
    return {
      query: { from: w.from, to: w.to, funnel: w.funnel },
      intro: html`<p class="lead">Journeys that reached each step of the ${ctx.vertical} journey between ${w.from} and ${w.to}.</p>
        ${suppressionIntro(ctx.k)}`,
      fields:
        choices.length > 1
          ? html`${dateFields(w)}<label for="funnel"
                >Funnel<select id="funnel" name="funnel">
                  ${choices.map((c) => html`<option value="${c.id}" ${c.id === w.funnel ? html` selected` : ''}>${c.label}</option>`)}
                </select></label
              >`
          : dateFields(w),
      charts: [
        {
          id: 'funnel-chart',
          type: 'bar',
          label: 'Journeys reaching each step (withheld steps are left out)',
          labels: r.cols.map(stageLabel),
          datasets: [{ label: 'Journeys', data: stepTotals(r).map(released) }],
        },
      ],
      tables: [funnelStepsTable(r), funnelDaysTable(r)],
    };
  },
};

/** The stage the demographics page opens on: the vertical's completion. */
export const demographicsPage: ReportPage = {
  slug: 'demographics',
  title: 'Demographics',
  appliesTo: (i) => verticalOf(i) !== undefined,
  async load(ctx, raw) {
    const stages: readonly string[] = FUNNELS[ctx.vertical];
    const stage = raw.stage || COMPLETION_STAGE[ctx.vertical];
    const q = parseWindow(DemographicsQuery, { ...windowOf(raw, ctx), stage }, ctx);
    if (!stages.includes(q.stage))
      throw new DomainError(ErrorCode.ValidationFailed, 'no such stage in this journey', {
        fields: [{ field: 'stage', message: `one of ${stages.join(', ')}` }],
      });
    const r = await demographicsReport(ctx.db, {
      institutionId: ctx.institution.id,
      vertical: ctx.vertical,
      stage: q.stage,
      from: q.from,
      to: q.to,
      k: ctx.k,
    });
    const t = r.release.table;
    const table: ConsoleTable = {
      id: 'demographics',
      caption: `Journeys that reached “${stageLabel(q.stage)}”, by age band and gender`,
      head: ['Age band', ...GENDERS.map((g) => g[0]!.toUpperCase() + g.slice(1)), 'All genders'],
      rows: [
        ...AGE_BANDS.map((band, i) => ({ label: band, cells: [...t.cells[i]!.map(count), count(t.rowTotals[i]!)] })),
        { label: 'All ages', cells: [...t.colTotals.map(count), count(t.total)] },
      ],
    };
    return {
      query: { from: q.from, to: q.to, stage: q.stage },
      intro: html`<p class="lead">
          People whose journey reached a step between ${q.from} and ${q.to}, by the age band and gender derived at their real-name
          verification.
        </p>
        ${suppressionIntro(ctx.k)}`,
      fields: html`${dateFields(q)}<label for="stage"
          >Step<select id="stage" name="stage">
            ${stages.map((s) => html`<option value="${s}" ${s === q.stage ? html` selected` : ''}>${stageLabel(s)}</option>`)}
          </select></label
        >`,
      charts: [],
      tables: [table],
    };
  },
};
