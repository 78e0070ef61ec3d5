import type { Logger } from 'pino';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { FigureRow } from '../../db/queries/businessMetrics';
import { isFinished, isVertical, knownLabel, OTHER, STAGES, VERTICALS } from './journeyStages';

/**
 * Business series on the API's `/metrics` (issue 13, item 7).
 *
 * Why most of them are read from PostgreSQL at scrape time rather than counted where things happen:
 * workflows must stay deterministic (a replay would count twice), activities run in every worker
 * process (each would hold a slice of the truth, lost on restart, and the workers' metrics port belongs
 * to the Temporal SDK core), and a journey's stage, a payment's outcome or a webhook's status already
 * sits in one table that every process writes. So each series is a gauge set from one snapshot of
 * those tables (db/queries/businessMetrics.ts), cached for METRICS_DB_CACHE_MS so several scrapers
 * (or API replicas scraped together) cost one query per period. Every API replica reports the same
 * figures: dashboards take `max` across instances, never `sum`.
 *
 * The one exception is the HL7 processing delay: a histogram observed by the API process that applies
 * the message (the inbox's applier runs in the API), so replicas' histograms add up.
 *
 * Labels: vertical, stage, outcome, status, kind, all from fixed lists (journeyStages.ts); anything
 * else the database holds is reported as `other`. Amounts are integer minor units (every payment is CNY today).
 */
export interface BusinessMetrics {
  /** An HL7 inbox message was applied `delaySeconds` after it was received. */
  hl7Applied: (delaySeconds: number) => void;
}

export const PAYMENT_OUTCOMES = ['paid', 'pending', 'closed', 'declined'] as const;
export const INBOX_STATUSES = ['received', 'failed'] as const;
export const MISMATCH_KINDS = ['missing_in_bill', 'missing_in_ledger', 'amount_differs'] as const;
export const WEBHOOK_STATUSES = ['pending', 'failed'] as const;
const PAYMENT_VERTICALS = [...VERTICALS, OTHER] as const;

/** One scrape's figures, keyed by their label values joined with `|`. */
export interface Figures {
  journeys: Map<string, number>;
  started: Map<string, number>;
  finished: Map<string, number>;
  payments: Map<string, number>;
  paymentsAmount: Map<string, number>;
  refunds: Map<string, number>;
  refundsAmount: Map<string, number>;
  inbox: Map<string, number>;
  inboxOldest: Map<string, number>;
  mismatches: Map<string, number>;
  webhooks: Map<string, number>;
}

const add = (m: Map<string, number>, key: string, v: number) => m.set(key, (m.get(key) ?? 0) + v);

/** Folds the query's rows into the series, every label value mapped onto its fixed list. */
export function tally(rows: readonly FigureRow[]): Figures {
  const f: Figures = {
    journeys: new Map(),
    started: new Map(),
    finished: new Map(),
    payments: new Map(),
    paymentsAmount: new Map(),
    refunds: new Map(),
    refundsAmount: new Map(),
    inbox: new Map(),
    inboxOldest: new Map(),
    mismatches: new Map(),
    webhooks: new Map(),
  };
  // Every known series exists from the first scrape, at 0, so rates and alerts see it start.
  for (const v of VERTICALS) {
    f.started.set(v, 0);
    for (const s of STAGES[v]) {
      f.journeys.set(`${v}|${s}`, 0);
      if (isFinished(v, s)) f.finished.set(`${v}|${s}`, 0);
    }
  }
  for (const v of PAYMENT_VERTICALS) {
    for (const o of PAYMENT_OUTCOMES) {
      f.payments.set(`${v}|${o}`, 0);
      f.paymentsAmount.set(`${v}|${o}`, 0);
    }
    f.refunds.set(v, 0);
    f.refundsAmount.set(v, 0);
  }
  for (const s of INBOX_STATUSES) {
    f.inbox.set(s, 0);
    f.inboxOldest.set(s, 0);
  }
  for (const k of MISMATCH_KINDS) f.mismatches.set(k, 0);
  for (const s of WEBHOOK_STATUSES) f.webhooks.set(s, 0);

  for (const r of rows) {
    const amount = r.amount ?? 0;
    switch (r.metric) {
      case 'journeys': {
        if (!isVertical(r.vertical)) break;
        const stage = knownLabel(r.label, STAGES[r.vertical]);
        add(f.journeys, `${r.vertical}|${stage}`, r.n);
        add(f.started, r.vertical, r.n);
        if (isFinished(r.vertical, stage)) add(f.finished, `${r.vertical}|${stage}`, r.n);
        break;
      }
      case 'payments': {
        const key = `${knownLabel(r.vertical, PAYMENT_VERTICALS)}|${knownLabel(r.label, PAYMENT_OUTCOMES)}`;
        add(f.payments, key, r.n);
        add(f.paymentsAmount, key, amount);
        break;
      }
      case 'refunds': {
        const v = knownLabel(r.vertical, PAYMENT_VERTICALS);
        add(f.refunds, v, r.n);
        add(f.refundsAmount, v, amount);
        break;
      }
      case 'hl7_inbox': {
        const s = knownLabel(r.label, INBOX_STATUSES);
        add(f.inbox, s, r.n);
        f.inboxOldest.set(s, Math.max(f.inboxOldest.get(s) ?? 0, amount));
        break;
      }
      case 'reconciliation':
        add(f.mismatches, knownLabel(r.label, MISMATCH_KINDS), r.n);
        break;
      case 'webhooks':
        add(f.webhooks, knownLabel(r.label, WEBHOOK_STATUSES), r.n);
        break;
    }
  }
  return f;
}

/** The last good figures, read again once they are older than `cacheMs`; concurrent scrapes share one read. */
function cachedFigures(read: () => Promise<FigureRow[]>, cacheMs: number, now: () => number, onResult: (ok: boolean, ms: number) => void) {
  let last: { at: number; figures: Figures } | null = null;
  let inflight: Promise<Figures> | null = null;
  return async (): Promise<Figures> => {
    if (last && now() - last.at < cacheMs) return last.figures;
    inflight ??= (async () => {
      const t0 = now();
      try {
        const figures = tally(await read());
        last = { at: now(), figures };
        onResult(true, now() - t0);
        return figures;
      } catch {
        // A database outage must not take the process metrics down with it: the last figures stay,
        // and causeway_business_metrics_up says they are stale.
        onResult(false, now() - t0);
        return last?.figures ?? tally([]);
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  };
}

export function registerBusinessMetrics(
  registry: Registry,
  opts: { read: () => Promise<FigureRow[]>; cacheMs: number; logger?: Logger; now?: () => number },
): BusinessMetrics {
  const now = opts.now ?? (() => performance.now());
  // A second API started on the same services (a restart in a test) replaces the first one's series.
  for (const m of registry.getMetricsAsArray()) if (m.name.startsWith('causeway_')) registry.removeSingleMetric(m.name);
  const lastRead = { ok: 0, seconds: 0 };
  const figures = cachedFigures(opts.read, opts.cacheMs, now, (ok, ms) => {
    lastRead.ok = ok ? 1 : 0;
    lastRead.seconds = ms / 1000;
    if (!ok) opts.logger?.warn('business metrics: reading the figures from PostgreSQL failed; the last ones are served');
  });
  // Collected after this scrape's read (a scrape collects every metric at once).
  new Gauge({
    name: 'causeway_business_metrics_up',
    help: '1 when the last read of the business figures from PostgreSQL succeeded, 0 when they are stale',
    registers: [registry],
    async collect() {
      await figures();
      this.set(lastRead.ok);
    },
  });
  new Gauge({
    name: 'causeway_business_metrics_read_seconds',
    help: 'How long the last read of the business figures from PostgreSQL took',
    registers: [registry],
    async collect() {
      await figures();
      this.set(lastRead.seconds);
    },
  });

  const gauge = (name: string, help: string, labelNames: readonly string[], pick: (f: Figures) => Map<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const values = pick(await figures());
        this.reset();
        for (const [key, v] of values) {
          const parts = key.split('|');
          this.set(Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? OTHER])), v);
        }
      },
    });

  gauge('causeway_journeys', 'Journeys whose read model is at this stage now', ['vertical', 'stage'], (f) => f.journeys);
  gauge('causeway_journeys_started', 'Journeys ever started (every journey with a read model); only grows', ['vertical'], (f) => f.started);
  gauge(
    'causeway_journeys_finished',
    'Journeys that reached a stage they never leave, by that stage; only grows',
    ['vertical', 'stage'],
    (f) => f.finished,
  );
  gauge(
    'causeway_payments',
    'Payments by outcome (paid includes those refunded since; pending: asked, not yet paid or closed)',
    ['vertical', 'outcome'],
    (f) => f.payments,
  );
  gauge('causeway_payments_amount_minor', 'Amount of those payments, in minor units', ['vertical', 'outcome'], (f) => f.paymentsAmount);
  gauge('causeway_refunds', 'Refunds made (each refund request once)', ['vertical'], (f) => f.refunds);
  gauge('causeway_refunds_amount_minor', 'Amount refunded, in minor units', ['vertical'], (f) => f.refundsAmount);
  gauge(
    'causeway_hl7_inbox_messages',
    'HL7 inbox messages not applied: received (waiting for their turn) or failed (kept for an operator)',
    ['status'],
    (f) => f.inbox,
  );
  gauge(
    'causeway_hl7_inbox_oldest_age_seconds',
    'Age of the oldest HL7 inbox message not applied, by status (0 when none): the inbox lag',
    ['status'],
    (f) => f.inboxOldest,
  );
  gauge(
    'causeway_reconciliation_mismatches',
    'Mismatches between the ledger and the payment platform’s bill on the last reconciled day',
    ['kind'],
    (f) => f.mismatches,
  );
  gauge('causeway_webhook_deliveries', 'Partner webhook deliveries pending or failed', ['status'], (f) => f.webhooks);

  const delay = new Histogram({
    name: 'causeway_hl7_inbox_processing_delay_seconds',
    help: 'From an HL7 message stored in the inbox to its being applied (signalled to its journey), in this API process',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  return { hl7Applied: (s) => delay.observe(Math.max(0, s)) };
}
