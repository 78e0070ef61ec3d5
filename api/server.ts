import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createInboundHl7Handler, type InboundDispatch } from '../integrations/hospital/inbound';
import { createSenderCheck, createSourceAllowList } from './hospital/senderCheck';
import type { InboundHl7Handler } from '../integrations/hospital/inbound/types';
import { MllpServer, type MllpServerTls } from '../integrations/hospital/mllp';
import type { Services } from '../platform/services';
import { ChangeFeed } from '../db/changeFeed';
import { QUEUE_VIEW_CHANNEL } from '../db/queries/doctorQueueView';
import { VISIT_VIEW_CHANNEL } from '../db/queries/visitView';
import { USER_NOTICE_CHANNEL } from '../db/queries/userInbox';
import { createApp, type RouteModule } from './app';
import type { ApiDeps } from './deps';
import { hospitalDispatch, institutionTimeZone, visitInstitution } from './hospital/dispatch';
import { partnerLimits } from './http/limits';
import { startSweeper } from './http/sweep';
import { codecRoutes } from './routes/codec';
import { hospitalInstitutionRoutes } from './routes/hospitalInstitution';
import { operatorRoutes } from './routes/operator';
import { agreementNotificationRoutes } from './routes/agreementNotifications';
import { paymentRoutes } from './routes/payments';
import { transitEnrolmentRoutes } from './routes/transitEnrolment';
import { userRoutes } from './routes/users';
import { visitRoutes } from './routes/visits';
import { transitRoutes } from './routes/transit';
import { transitDebtRoutes } from './routes/transitDebt';
import { transitClaimRoutes } from './routes/transitClaims';
import { transitReportRoutes } from './routes/transitReports';
import { userInboxRoutes } from './routes/userInbox';
import { userNoticeRoutes } from './routes/userNotices';
import { announcementRoutes } from './routes/announcements';
import { partnerWebhookRoutes } from './routes/partnerWebhooks';
import { retailRoutes } from './routes/retail';
import { institutionReportRoutes } from './routes/institutionReports';
import { channelShareRoutes } from './routes/channelShare';
import { merchantOnboardingRoutes } from './routes/merchantOnboarding';
import { retailMemberRoutes } from './routes/retailMembers';
import { RETAIL_ORDER_CHANNEL } from '../db/queries/retailOrderView';
import { doctorViewRoutes } from './routes/doctorView';
import { consoleRoutes } from './console';
import { inboxReplay } from './hospital/inboxReplay';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhooks/dispatcher';
import { readBusinessFigures } from '../db/queries/businessMetrics';
import { registerBusinessMetrics, type BusinessMetrics } from './metrics/business';
import { WEBHOOK_CHANNEL } from '../db/repositories/webhookOutbox';
import { startTapForwarder, type TapForwarder } from './transit/tapForwarder';
import { transitOperatorCache } from '../db/repositories/transitOperators';

export function apiDeps(services: Services): ApiDeps {
  const { config, logger, db, temporal, metrics, pii, payments, codec, identity } = services;
  const changes = new ChangeFeed({
    url: config.DATABASE_URL,
    channels: [VISIT_VIEW_CHANNEL, QUEUE_VIEW_CHANNEL, WEBHOOK_CHANNEL, RETAIL_ORDER_CHANNEL, USER_NOTICE_CHANNEL],
    applicationName: 'causeway-api-listen',
    onError: (err) => logger.warn({ err }, 'read-model change feed lost its connection; streams poll until it is back'),
  });
  return { config, logger, db, temporal, metrics, pii, payments, codec, identity, limits: partnerLimits(config), changes };
}

export interface Inbound {
  handle: InboundHl7Handler;
  dispatch: InboundDispatch;
}

export function inboundHl7(deps: ApiDeps, metrics?: BusinessMetrics): Inbound {
  const dispatch = hospitalDispatch({ db: deps.db, pii: deps.pii, temporal: deps.temporal });
  const handle = createInboundHl7Handler({
    db: deps.db,
    secrets: deps.pii,
    dispatch,
    authorizeSender: createSenderCheck(deps.db),
    visitInstitution: visitInstitution(deps.db),
    timeZoneOf: institutionTimeZone(deps.db),
    logger: deps.logger.child({ adapter: 'hl7-inbound' }),
    // Each booking being drained pins a connection (its lock) and its dispatch uses another: half the pool.
    maxConcurrentClaims: Math.max(1, Math.floor(deps.config.DATABASE_POOL_SIZE / 2)),
    ...(metrics ? { onApplied: metrics.hl7Applied } : {}),
  });
  return { handle, dispatch };
}

/** Moves stored AFC taps to their rider-day workflows (started with the API; see docs/transit-taps.md). */
export function tapForwarder(deps: ApiDeps): TapForwarder {
  return startTapForwarder({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    logger: deps.logger.child({ component: 'tap-forwarder' }),
    operatorOf: transitOperatorCache(deps.db),
    intervalMs: deps.config.TRANSIT_FORWARD_INTERVAL_MS,
    operators: deps.config.TRANSIT_FORWARD_OPERATORS,
    batch: deps.config.TRANSIT_FORWARD_BATCH,
    settlementDelaySeconds: deps.config.TRANSIT_SETTLEMENT_DELAY_SECONDS,
    chargeRetrySeconds: deps.config.TRANSIT_CHARGE_RETRY_SECONDS,
    lateChargeDays: deps.config.TRANSIT_LATE_CHARGE_DAYS,
    retryOnTapAfterSeconds: deps.config.TRANSIT_RETRY_ON_TAP_AFTER_SECONDS,
  });
}

/** Delivers partner webhooks from this process (WEBHOOK_DISPATCH_PARTNERS=none leaves it to others). */
export function webhookDispatcher(deps: ApiDeps): WebhookDispatcher | null {
  const { config } = deps;
  const partners = config.WEBHOOK_DISPATCH_PARTNERS;
  if (partners !== '*' && partners.length === 0) return null;
  return startWebhookDispatcher({
    ...(partners === '*' ? {} : { partners }),
    db: deps.db,
    cipher: deps.pii,
    logger: deps.logger.child({ component: 'webhooks' }),
    changes: deps.changes,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    concurrency: config.WEBHOOK_CONCURRENCY,
    pauseAfterSeconds: config.WEBHOOK_PAUSE_AFTER_SECONDS,
    pollMs: config.WEBHOOK_POLL_MS,
  });
}

export function routeModules(deps: ApiDeps, inbound: Inbound, forwarder: TapForwarder): RouteModule[] {
  return [
    userRoutes(deps),
    userNoticeRoutes(deps),
    userInboxRoutes(deps),
    announcementRoutes(deps),
    visitRoutes(deps),
    paymentRoutes(deps),
    agreementNotificationRoutes(deps),
    transitEnrolmentRoutes(deps),
    hospitalInstitutionRoutes(deps, inbound),
    operatorRoutes(deps),
    codecRoutes(deps),
    transitRoutes(deps, forwarder),
    transitDebtRoutes(deps),
    transitClaimRoutes(deps, forwarder),
    transitReportRoutes(deps),
    partnerWebhookRoutes(deps),
    retailRoutes(deps),
    institutionReportRoutes(deps),
    channelShareRoutes(deps),
    merchantOnboardingRoutes(deps),
    retailMemberRoutes(deps),
    doctorViewRoutes(deps),
    consoleRoutes(deps, inboxReplay(deps, inbound.dispatch)),
  ];
}

/** TLS for the MLLP listener from config: none, server-only, or mutual (with a CA for client certificates). */
export function mllpTls(config: Services['config']): MllpServerTls | undefined {
  if (!config.MLLP_TLS_KEY_PATH || !config.MLLP_TLS_CERT_PATH) return undefined;
  return {
    key: readFileSync(config.MLLP_TLS_KEY_PATH),
    cert: readFileSync(config.MLLP_TLS_CERT_PATH),
    ...(config.MLLP_TLS_CA_PATH ? { ca: readFileSync(config.MLLP_TLS_CA_PATH) } : {}),
  };
}

export interface RunningApi {
  server: Server;
  url: string;
  /** The MLLP listener's port (hospitals send HL7 here), when one is running. */
  mllpPort: number | null;
  /** Where Prometheus scrapes `/metrics`: a listener of its own (API_METRICS_HOST, default loopback), never the API port. */
  metricsUrl: string | null;
  /** Stops accepting connections and waits for in-flight requests and messages (drain). */
  close(): Promise<void>;
}

export async function startApi(
  services: Services,
  port = services.config.API_PORT,
  opts: { mllpPort?: number | null; metricsPort?: number | null; drainMs?: number } = {},
): Promise<RunningApi> {
  const drainMs = opts.drainMs ?? 10_000;
  const deps = apiDeps(services);
  const business = registerBusinessMetrics(services.metrics, {
    read: () => readBusinessFigures(services.db),
    cacheMs: services.config.METRICS_DB_CACHE_MS,
    logger: services.logger.child({ component: 'metrics' }),
  });
  const inbound = inboundHl7(deps, business);
  // Also forwards, at boot, taps a crash left stored but not forwarded.
  const forwarder = tapForwarder(deps);
  const { app } = createApp(deps, routeModules(deps, inbound, forwarder));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, services.config.API_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${services.config.API_HOST}:${actualPort}`;
  // Notify URLs handed to the payment platform name this listener unless a public address is configured.
  deps.publicBaseUrl = services.config.PUBLIC_BASE_URL ?? url;
  const { config } = services;
  const mllpPort = opts.mllpPort === undefined ? config.MLLP_PORT : opts.mllpPort;
  let mllp: MllpServer | null = null;
  let boundMllp: number | null = null;
  if (mllpPort !== null) {
    mllp = new MllpServer({
      host: config.MLLP_HOST,
      port: mllpPort,
      handler: inbound.handle,
      logger: services.logger.child({ adapter: 'mllp' }),
      tls: mllpTls(config),
      // Unknown sources are dropped before a byte is read; with mutual TLS the certificate identifies the sender instead.
      allowSource: createSourceAllowList(deps.db, { cacheMs: config.MLLP_SOURCE_CACHE_MS }),
      limits: {
        maxFrameBytes: config.MLLP_MAX_FRAME_BYTES,
        maxConnections: config.MLLP_MAX_CONNECTIONS,
        maxConnectionsPerPeer: config.MLLP_MAX_CONNECTIONS_PER_PEER,
        idleTimeoutMs: config.MLLP_IDLE_TIMEOUT_MS,
        readTimeoutMs: config.MLLP_READ_TIMEOUT_MS,
      },
    });
    boundMllp = (await mllp.start()).port;
  }
  const metricsPort = opts.metricsPort === undefined ? config.API_METRICS_PORT : opts.metricsPort;
  const metrics = metricsPort === null ? null : await startMetricsListener(services, metricsPort);
  const webhooks = webhookDispatcher(deps);
  const stopSweeper = startSweeper(services.db, config, services.logger.child({ component: 'sweeper' }));
  // Messages a crash left stored but unapplied are applied now.
  void inbound.handle.resumePending().catch((err: unknown) => services.logger.warn({ err }, 'resuming pending inbox messages failed'));
  services.logger.info({ url, mllpPort: boundMllp, metricsUrl: metrics?.url ?? null }, 'API listening');
  return {
    server,
    url,
    mllpPort: boundMllp,
    metricsUrl: metrics?.url ?? null,
    close: async () => {
      await mllp?.stop();
      await stopSweeper();
      await metrics?.close();
      await inbound.handle.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after the drain budget (an update waiting on a stopped worker,
        // an open event stream) are cut rather than holding the shutdown forever.
        setTimeout(() => server.closeAllConnections(), drainMs).unref();
      });
      await webhooks?.stop();
      await deps.changes.close();
      // After the last request: what it stored is forwarded by this pass or, if cut short, by the next process.
      await forwarder.stop();
    },
  };
}

/**
 * `/metrics` on its own listener (default 127.0.0.1): metric names and label values describe the
 * platform's traffic, which is nobody's business who can merely reach the API port.
 */
async function startMetricsListener(services: Services, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const { config, metrics } = services;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.API_METRICS_HOST, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${config.API_METRICS_HOST}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
