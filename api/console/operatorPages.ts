import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { listFailedInbox } from '../../integrations/hospital/inbound';
import { campaignBudgets, denyList, reconciliationMismatches, type Mismatch } from '../../db/queries/operatorConsoleMoney';
import {
  journeysAtStage,
  journeysByStage,
  journeysPastDeadline,
  VERTICALS,
  type OperatorJourney,
} from '../../db/queries/operatorConsoleJourneys';
import { DomainError, ErrorCode } from '../../domain/errors';
import { formatMinor } from '../../domain/money';
import { EXPECTED_STAGE_MS, overdueMs, stageDeadlines } from '../../domain/operations/stuckJourneys';
import { setPrincipal } from '../auth/principal';
import type { ApiDeps } from '../deps';
import type { InboxReplay } from '../hospital/inboxReplay';
import { html, type Html } from './html';
import { BASE, csrfField, page, type NavSection } from './layout';
import { mayUseOperatorPages } from './scope';
import { consoleSessionOf, requireCsrf } from './session';
import { tableHtml, text, type Cell, type ConsoleTable } from './tables';

const OPS = `${BASE}/ops`;
const INBOX_PAGE = 100;

interface OperatorPage {
  slug: string;
  title: string;
}
/** The operator pages, in navigation order. */
const PAGES: readonly OperatorPage[] = [
  { slug: 'journeys', title: 'Journeys by stage' },
  { slug: 'stuck', title: 'Stuck journeys' },
  { slug: 'inbox', title: 'Failed inbox messages' },
  { slug: 'reconciliation', title: 'Reconciliation mismatches' },
  { slug: 'deny-list', title: 'Transit deny list' },
  { slug: 'campaigns', title: 'Campaign budgets' },
];
const NAV: NavSection[] = [{ heading: 'Operations', links: PAGES.map((p) => ({ href: `${OPS}/${p.slug}`, label: p.title })) }];

const link = (href: string, label: string): Cell => ({ kind: 'html', text: label, markup: html`<a href="${href}">${label}</a>` });
const money = (minor: number | null, currency = 'CNY'): Cell => text(minor === null ? '—' : `${formatMinor(minor, currency)} ${currency}`);
const when = (d: Date): Cell => text(d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
const duration = (ms: number): string => {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : m < 48 * 60 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} days`;
};

/**
 * Operator pages under `/console/ops` (role operator only): journeys by vertical and stage with links
 * to the Temporal Web UI, stuck journeys, failed inbox messages with replay, reconciliation
 * mismatches, the transit deny list and campaign budgets. Reads go through db/queries modules.
 */
export function operatorPages(deps: ApiDeps, replay: InboxReplay): Router {
  const router = Router();
  const ui = deps.config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const workflowHref = (id: string) =>
    `${ui}/namespaces/${encodeURIComponent(deps.config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(id)}`;
  const now = () => deps.now?.() ?? Date.now();

  router.use('/ops', (_req, res, next) => {
    if (!mayUseOperatorPages(consoleSessionOf(res).session.account)) throw new DomainError(ErrorCode.NotFound, 'no such page');
    next();
  });
  const send = (req: Request, res: Response, title: string, body: Html) => {
    const { session } = consoleSessionOf(res);
    res.type('html').send(
      page({
        title,
        body,
        session: { login: session.account.login, roleLabel: 'operator', csrf: session.csrfSecret },
        nav: NAV,
        current: req.baseUrl + req.path,
      }),
    );
  };
  const journeyRows = (rows: OperatorJourney[], extra: (j: OperatorJourney) => Cell[] = () => []) =>
    rows.map((j) => ({
      label: j.institutionId,
      cells: [
        text(j.vertical),
        text(j.ref),
        text(j.stage),
        when(j.updatedAt),
        ...extra(j),
        {
          kind: 'html' as const,
          text: j.workflowId,
          markup: html`<a href="${workflowHref(j.workflowId)}" rel="noopener">${j.workflowId}</a>`,
        },
      ],
    }));

  router.get('/ops', (_req, res) => res.redirect(303, `${OPS}/journeys`));

  const JourneyQuery = z.object({
    vertical: z.enum(VERTICALS).optional(),
    stage: z
      .string()
      .regex(/^[a-z_]{1,32}$/)
      .optional(),
  });
  router.get('/ops/journeys', async (req, res) => {
    const q = JourneyQuery.safeParse(req.query);
    if (!q.success)
      throw new DomainError(ErrorCode.ValidationFailed, 'unknown vertical or stage', {
        fields: q.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    const counts = await journeysByStage(deps.db);
    const table: ConsoleTable = {
      id: 'journeys-by-stage',
      caption: 'Journeys per vertical and stage (from the read models)',
      head: ['Vertical', 'Stage', 'Journeys'],
      rows: counts.map((c) => ({
        label: c.vertical,
        cells: [text(c.stage), link(`${OPS}/journeys?vertical=${c.vertical}&stage=${encodeURIComponent(c.stage)}`, String(c.journeys))],
      })),
    };
    let list: Html | string = '';
    if (q.data.vertical && q.data.stage) {
      const rows = await journeysAtStage(deps.db, { vertical: q.data.vertical, stage: q.data.stage, limit: 100 });
      list = tableHtml({
        id: 'journeys-at-stage',
        caption: `Latest ${q.data.vertical} journeys at stage ${q.data.stage} (at most 100), each linked to its workflow in the Temporal Web UI`,
        head: ['Institution', 'Vertical', 'Reference', 'Stage', 'Last change', 'Workflow'],
        rows: journeyRows(rows),
      });
    }
    send(
      req,
      res,
      'Journeys by stage',
      html`<h1>Journeys by stage</h1>
        <p class="lead">Choose a count to list its journeys. Workflows open in the <a href="${ui}">Temporal Web UI</a>.</p>
        ${tableHtml(table)}${list}`,
    );
  });

  router.get('/ops/stuck', async (req, res) => {
    const at = now();
    const late: Array<{ j: OperatorJourney; overdue: number }> = [];
    for (const vertical of VERTICALS)
      for (const deadline of stageDeadlines(vertical, at))
        for (const j of await journeysPastDeadline(deps.db, { vertical, deadline, limit: 200 })) {
          const overdue = overdueMs({ vertical, stage: j.stage, updatedAtMs: j.updatedAt.getTime(), slotStartMs: j.slotStartMs }, at);
          if (overdue !== null) late.push({ j, overdue });
        }
    late.sort((a, b) => b.overdue - a.overdue);
    const table: ConsoleTable = {
      id: 'stuck-journeys',
      caption: `Journeys past their stage's expected time (${late.length})`,
      head: ['Institution', 'Vertical', 'Reference', 'Stage', 'Last change', 'Overdue by', 'Workflow'],
      rows: journeyRows(
        late.map((l) => l.j),
        (j) => [text(duration(late.find((l) => l.j === j)!.overdue))],
      ),
    };
    const rules = Object.entries(EXPECTED_STAGE_MS).flatMap(([v, stages]) =>
      Object.entries(stages).map(([s, ms]) => `${v} ${s}: ${duration(ms)}`),
    );
    send(
      req,
      res,
      'Stuck journeys',
      html`<h1>Stuck journeys</h1>
        <p class="lead">
          Journeys still in a live stage longer than expected (a hospital booking from its appointment's start). Expected:
          ${rules.join('; ')}.
        </p>
        ${tableHtml(table)}`,
    );
  });

  router.get('/ops/inbox', async (req, res) => {
    // Oldest first, a page at a time (the operator route's order): `after` is the last id of the page before.
    const after = typeof req.query.after === 'string' && /^\d{1,19}$/.test(req.query.after) ? req.query.after : undefined;
    const rows = await listFailedInbox(deps.db, { limit: INBOX_PAGE, ...(after ? { afterId: after } : {}) });
    const next = rows.length === INBOX_PAGE ? `${OPS}/inbox?after=${rows[rows.length - 1]!.id}` : null;
    const { session } = consoleSessionOf(res);
    const flash = typeof req.query.replayed === 'string' && /^\d+:[a-z_]+$/.test(req.query.replayed) ? req.query.replayed.split(':') : null;
    const table = html`<table id="failed-inbox">
      <caption>
        Failed inbound HL7 messages (bodies stay in the database)
      </caption>
      <thead>
        <tr>
          <th scope="col" class="text">Id</th>
          <th scope="col" class="text">Sender</th>
          <th scope="col" class="text">Message</th>
          <th scope="col" class="text">Type</th>
          <th scope="col" class="text">Correlation</th>
          <th scope="col" class="text">Error</th>
          <th scope="col">Attempts</th>
          <th scope="col" class="text">Received</th>
          <th scope="col" class="text">Action</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              <th scope="row">${r.id}</th>
              <td class="text">${r.sender}</td>
              <td class="text">${r.messageId}</td>
              <td class="text">${r.messageType ?? ''}</td>
              <td class="text">${r.correlation ?? ''}</td>
              <td class="text">${r.error ?? ''}</td>
              <td>${r.attempts}</td>
              <td class="text">${new Date(r.receivedAt).toISOString()}</td>
              <td class="text">
                <form method="post" action="${OPS}/inbox/${r.id}/replay">
                  ${csrfField(session.csrfSecret)}<button class="small" type="submit" aria-label="Replay message ${r.id}">Replay</button>
                </form>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
    send(
      req,
      res,
      'Failed inbox messages',
      html`<h1>Failed inbox messages</h1>
        ${flash ? html`<p class="notice" role="status">Message ${flash[0]} replayed: ${flash[1]}.</p>` : ''}
        <p class="lead">
          Replay a message once its cause is fixed; it is applied through the same path as
          <code>POST /v1/operator/inbox/{id}/reprocess</code>, and audited.
        </p>
        ${rows.length ? table : html`<p>No failed messages${after ? ' after these' : ''}.</p>`}
        ${next ? html`<p><a href="${next}">Next ${INBOX_PAGE} messages</a></p>` : ''}`,
    );
  });

  router.post('/ops/inbox/:id/replay', requireCsrf(), async (req, res) => {
    const id = String(req.params.id);
    if (!/^\d{1,19}$/.test(id)) throw new DomainError(ErrorCode.NotFound, 'no such message');
    // The replay is the operator route's own code path, audited under the console account.
    setPrincipal(req, { kind: 'operator', operatorId: `console:${consoleSessionOf(res).session.account.id}` });
    const r = await replay(req, id);
    res.redirect(303, `${OPS}/inbox?replayed=${encodeURIComponent(`${r.id}:${r.status}`)}`);
  });

  router.get('/ops/reconciliation', async (req, res) => {
    const reports = await reconciliationMismatches(deps.db, 60);
    const describe = (m: Mismatch): Cell[] =>
      m.kind === 'amount_differs'
        ? [
            text(m.kind),
            text(m.ledger.outTradeNo),
            text(m.ledger.kind),
            text(m.ledger.ref),
            money(m.ledger.amountMinor),
            money(m.bill.amountMinor),
          ]
        : [
            text(m.kind),
            text(m.line.outTradeNo),
            text(m.line.kind),
            text(m.line.ref),
            money(m.kind === 'missing_in_bill' ? m.line.amountMinor : null),
            money(m.kind === 'missing_in_ledger' ? m.line.amountMinor : null),
          ];
    const table: ConsoleTable = {
      id: 'reconciliation-mismatches',
      caption: 'Ledger lines and bill lines that do not match, per billing day (last 60 days with mismatches)',
      head: ['Billing day', 'Mismatch', 'Order number', 'Kind', 'Refund number', 'Ledger', 'Bill'],
      rows: reports.flatMap((r) => r.mismatches.map((m) => ({ label: r.date, cells: describe(m) }))),
    };
    send(
      req,
      res,
      'Reconciliation mismatches',
      html`<h1>Reconciliation mismatches</h1>
        <p class="lead">From the daily reconciliation of the ledger against the payment platform's bill.</p>
        ${table.rows.length ? tableHtml(table) : html`<p>No mismatches in the stored reports.</p>`}`,
    );
  });

  router.get('/ops/deny-list', async (req, res) => {
    const rows = await denyList(deps.db, 500);
    const table: ConsoleTable = {
      id: 'deny-list',
      caption: 'Pseudonyms on each operator’s deny list now, with the rider’s open debt',
      head: ['Operator', 'Pseudonym', 'Rider reference', 'List version', 'Listed at', 'Owed'],
      rows: rows.map((r) => ({
        label: r.operatorId,
        cells: [
          text(`${r.pseudonym.slice(0, 8)}…`),
          text(r.riderRef),
          text(String(r.version)),
          when(r.listedAt),
          money(r.owedMinor, r.currency ?? 'CNY'),
        ],
      })),
    };
    send(
      req,
      res,
      'Transit deny list',
      html`<h1>Transit deny list</h1>
        <p class="lead">Riders are listed while a debt is open; gates fetch the list as signed deltas.</p>
        ${rows.length ? tableHtml(table) : html`<p>Nobody is on a deny list.</p>`}`,
    );
  });

  router.get('/ops/campaigns', async (req, res) => {
    const rows = await campaignBudgets(deps.db, 200);
    const table: ConsoleTable = {
      id: 'campaign-budgets',
      caption: 'Retail campaigns and their budgets (money reserved at checkout, committed at payment)',
      head: ['Campaign', 'Funder', 'Status', 'Valid until', 'Budget', 'Reserved', 'Committed', 'Left', 'Coupons issued'],
      rows: rows.map((c) => ({
        label: c.name,
        cells: [
          text(c.funderName ?? c.funderId),
          text(c.status),
          when(c.validUntil),
          money(c.budgetMinor),
          money(c.reservedMinor),
          money(c.committedMinor),
          money(c.budgetMinor - c.reservedMinor - c.committedMinor),
          text(`${c.issuedCount} of ${c.budgetCount}`),
        ],
      })),
    };
    send(
      req,
      res,
      'Campaign budgets',
      html`<h1>Campaign budgets</h1>
        ${rows.length ? tableHtml(table) : html`<p>No campaigns yet.</p>`}`,
    );
  });

  return router;
}
