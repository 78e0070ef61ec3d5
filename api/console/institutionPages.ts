import { Router, type Request, type Response } from 'express';
import { consoleInstitution, districtMerchants, type ConsoleInstitution } from '../../db/queries/consoleInstitutions';
import { DomainError, ErrorCode } from '../../domain/errors';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import type { ApiDeps } from '../deps';
import { toCsv } from './csv';
import { html, jsonForScript, type Html } from './html';
import { BASE, page, type NavSection } from './layout';
import {
  COMPLETION_STAGE,
  defaultWindow,
  readFunnel,
  stepTotals,
  stageLabel,
  verticalOf,
  type ChartSpec,
  type ReportContext,
} from './reports';
import { REPORT_PAGES } from './reportPages';
import { maySeeInstitution } from './scope';
import { consoleSessionOf } from './session';
import { count, percentOf, tableCsv, tableHtml, type Cell } from './tables';

const KIND_LABEL: Readonly<Record<string, string>> = {
  hospital: 'Hospital',
  transit: 'Transit operator',
  merchant: 'Merchant',
  district: 'Shopping district',
};

export const institutionHref = (id: string, slug?: string) => `${BASE}/i/${encodeURIComponent(id)}${slug ? `/${slug}` : ''}`;

export function chartBlock(c: ChartSpec): Html {
  return html`<figure class="chart">
    <canvas id="${c.id}" role="img" aria-label="${c.label}"></canvas>
    <script type="application/json" data-chart-for="${c.id}">
      ${jsonForScript({ type: c.type, labels: c.labels, datasets: c.datasets })}
    </script>
  </figure>`;
}

/**
 * Institution staff's pages under `/console/i/<institution>`: the dashboard, one page per report, and
 * each report table as CSV. The institution in the path is checked against the account on every
 * request; another institution's pages are answered 404, exactly as an unknown one.
 */
export function institutionPages(deps: ApiDeps): Router {
  const router = Router();
  const k = deps.config.ANALYTICS_MIN_CELL;
  const now = () => deps.now?.() ?? Date.now();

  const visible = async (req: Request, res: Response): Promise<ConsoleInstitution> => {
    const { session } = consoleSessionOf(res);
    const id = String(req.params.institutionId ?? '');
    const inst = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await consoleInstitution(deps.db, id) : undefined;
    if (!inst || !maySeeInstitution(session.account, inst)) throw new DomainError(ErrorCode.NotFound, 'no such page');
    return inst;
  };

  const section = (i: ConsoleInstitution): NavSection => ({
    heading: i.name,
    links: [
      { href: institutionHref(i.id), label: 'Dashboard' },
      ...REPORT_PAGES.filter((p) => p.appliesTo(i)).map((p) => ({ href: institutionHref(i.id, p.slug), label: p.title })),
    ],
  });

  const shell = async (req: Request, res: Response, inst: ConsoleInstitution, title: string, body: Html, charts: boolean) => {
    const { session } = consoleSessionOf(res);
    const { account } = session;
    // The account's own institution first; a district's merchant page adds the merchant's section.
    const own = (account.institutionId ? await consoleInstitution(deps.db, account.institutionId) : undefined) ?? inst;
    res.type('html').send(
      page({
        title,
        body,
        charts,
        session: { login: account.login, roleLabel: `staff of ${own.name}`, csrf: session.csrfSecret },
        nav: inst.id === own.id ? [section(own)] : [section(own), section(inst)],
        current: req.baseUrl + req.path,
      }),
    );
  };

  const contextOf = (inst: ConsoleInstitution): ReportContext | undefined => {
    const vertical = verticalOf(inst);
    return vertical
      ? {
          db: deps.db,
          k,
          institution: inst,
          vertical,
          today: serviceDayOf(now(), inst.timeZone),
          spendingBandsMaxAgeMs: deps.config.SPENDING_BANDS_MAX_AGE_MINUTES * 60_000,
        }
      : undefined;
  };

  router.get('/i/:institutionId', async (req, res) => {
    const inst = await visible(req, res);
    const heading = html`<h1>${inst.name}</h1>
      <p class="lead">${KIND_LABEL[inst.kind] ?? inst.kind} · ${inst.id}</p>`;
    const ctx = contextOf(inst);
    if (!ctx) {
      // A district: its merchants, each with its own dashboard.
      const merchants = inst.kind === 'district' ? await districtMerchants(deps.db, inst.id) : [];
      await shell(
        req,
        res,
        inst,
        inst.name,
        html`${heading}
          <h2>Merchants in the district</h2>
          ${
            merchants.length
              ? html`<ul>
                  ${merchants.map((m) => html`<li><a href="${institutionHref(m.id)}">${m.name}</a> (${m.id})</li>`)}
                </ul>`
              : html`<p>No merchant has joined yet.</p>`
          }`,
        false,
      );
      return;
    }
    const w = defaultWindow(ctx.today);
    const r = await readFunnel(ctx, w);
    const totals = stepTotals(r);
    const done = r.cols.indexOf(COMPLETION_STAGE[ctx.vertical]);
    const first = count(totals[0]!);
    const completed = done >= 0 ? count(totals[done]!) : first;
    const share = percentOf(completed, first);
    const figure = (cell: Cell, suffix = '') => {
      const c = { value: cell.kind === 'count' || cell.kind === 'percent' ? cell.value : null };
      return c.value === null
        ? html`<span class="value withheld">withheld</span>`
        : html`<span class="value" data-value="${c.value}">${c.value.toLocaleString('en-US')}${suffix}</span>`;
    };
    const firstDay = r.rows.length ? r.rows : [];
    const chart: ChartSpec = {
      id: 'dashboard-chart',
      type: 'line',
      label: `Journeys per day that reached ${stageLabel(r.cols[0] ?? '')} and ${stageLabel(COMPLETION_STAGE[ctx.vertical])}`,
      labels: [...firstDay],
      datasets: [
        { label: stageLabel(r.cols[0] ?? ''), data: r.release.table.cells.map((row) => row[0]!.value) },
        ...(done > 0
          ? [{ label: stageLabel(COMPLETION_STAGE[ctx.vertical]), data: r.release.table.cells.map((row) => row[done]!.value) }]
          : []),
      ],
    };
    await shell(
      req,
      res,
      inst,
      `${inst.name} dashboard`,
      html`${heading}
        <h2>Last seven days <small>(${w.from} to ${w.to})</small></h2>
        <ul class="cards" aria-label="Key figures">
          <li id="card-started"><span class="label">${stageLabel(r.cols[0] ?? '')}</span>${figure(first)}</li>
          <li id="card-completed"><span class="label">${stageLabel(COMPLETION_STAGE[ctx.vertical])}</span>${figure(completed)}</li>
          <li id="card-completion"><span class="label">Completion</span>${figure(share, '%')}</li>
        </ul>
        ${chartBlock(chart)}
        <h2>Reports</h2>
        <ul>
          ${REPORT_PAGES.filter((p) => p.appliesTo(inst)).map((p) => html`<li><a href="${institutionHref(inst.id, p.slug)}">${p.title}</a></li>`)}
        </ul>`,
      true,
    );
  });

  for (const report of REPORT_PAGES) {
    const load = async (req: Request, res: Response) => {
      const inst = await visible(req, res);
      const ctx = report.appliesTo(inst) ? contextOf(inst) : undefined;
      if (!ctx) throw new DomainError(ErrorCode.NotFound, 'no such page');
      const raw = Object.fromEntries(
        ['from', 'to', 'stage', 'year', 'funnel'].map((f) => [f, typeof req.query[f] === 'string' ? req.query[f] : undefined]),
      );
      return { inst, loaded: await report.load(ctx, raw) };
    };
    router.get(`/i/:institutionId/${report.slug}`, async (req, res) => {
      const { inst, loaded } = await load(req, res);
      const qs = new URLSearchParams(loaded.query);
      await shell(
        req,
        res,
        inst,
        `${report.title} · ${inst.name}`,
        html`<h1>${report.title} <small>${inst.name}</small></h1>
          ${loaded.intro}
          <form class="range" method="get" action="${institutionHref(inst.id, report.slug)}">
            ${loaded.fields ?? ''}<button class="primary" type="submit">Show</button>
          </form>
          ${loaded.charts.map(chartBlock)}
          ${loaded.tables.map((t) => tableHtml(t, `${institutionHref(inst.id, `${report.slug}/csv`)}?${qs.toString()}&table=${t.id}`))}`,
        loaded.charts.length > 0,
      );
    });
    router.get(`/i/:institutionId/${report.slug}/csv`, async (req, res) => {
      const { inst, loaded } = await load(req, res);
      const wanted = typeof req.query.table === 'string' ? req.query.table : loaded.tables[0]?.id;
      const table = loaded.tables.find((t) => t.id === wanted);
      if (!table)
        throw new DomainError(ErrorCode.ValidationFailed, 'no such table', {
          fields: [{ field: 'table', message: `one of ${loaded.tables.map((t) => t.id).join(', ')}` }],
        });
      const name = [inst.id, table.id, ...Object.values(loaded.query)].join('_').replace(/[^A-Za-z0-9_-]/g, '-');
      res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
      res.type('text/csv; charset=utf-8').send(toCsv(tableCsv(table)));
    });
  }
  return router;
}
