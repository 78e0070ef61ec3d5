import type { Server } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import express from 'express';
import type { Logger } from 'pino';
import { sendProblem, toProblem } from '../api/http/problem';
import { writeAudit, type AuditEntry } from '../db/repositories/audit';
import { DomainError, ErrorCode } from '../domain/errors';
import { codecServerRouter } from './codecServer';
import { loopbackAuthenticator } from './codecServerAuth';
import type { Services } from './services';

/**
 * The operator-only codec listener: the codec server on its own port, bound to 127.0.0.1 and nothing
 * else, with no token — the Web UI a person opens on this machine sends none (the dev server's UI has
 * no login). What keeps others out:
 * - the bind address (other machines cannot connect; it is not configurable on purpose);
 * - the Host header must name this loopback listener (a DNS-rebinding page calls itself another host);
 * - a browser request must come from an allowed Origin (the Web UI's), else 403 before anything runs;
 * - JSON bodies only (a cross-site form cannot send one without a CORS preflight that is refused).
 * Anyone with a shell on the machine can still decrypt: use it on operators' machines, never on a shared host.
 */
export const CODEC_LISTEN_HOST = '127.0.0.1';

export interface CodecListenerOptions {
  port: number;
  codec: PayloadCodec;
  corsOrigins: readonly string[];
  audit: (entry: AuditEntry) => Promise<void>;
  maxBodyBytes: number;
  maxPayloads: number;
  logger: Logger;
}

export interface CodecListener {
  /** What `--ui-codec-endpoint` gets: the UI appends /decode and /encode. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startCodecListener(opts: CodecListenerOptions): Promise<CodecListener> {
  const app = express();
  app.disable('x-powered-by');
  let port = opts.port;
  app.use((req, _res, next) => {
    const host = req.header('host') ?? '';
    if (host !== `${CODEC_LISTEN_HOST}:${port}` && host !== `localhost:${port}`) {
      return next(new DomainError(ErrorCode.Forbidden, 'unexpected Host for the operator codec listener'));
    }
    next();
  });
  app.use(express.json({ limit: opts.maxBodyBytes }));
  app.use(
    codecServerRouter({
      codec: opts.codec,
      authenticate: loopbackAuthenticator,
      corsOrigins: opts.corsOrigins,
      audit: opts.audit,
      via: 'operator-listener',
      maxPayloads: opts.maxPayloads,
      logger: opts.logger,
    }),
  );
  app.use((req, _res, next) => next(new DomainError(ErrorCode.NotFound, `no route for ${req.method} ${req.path}`)));
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    const domain =
      err instanceof DomainError
        ? err
        : status === 413
          ? new DomainError(ErrorCode.ValidationFailed, 'request body too large')
          : status >= 400 && status < 500
            ? new DomainError(ErrorCode.ValidationFailed, 'request body is not valid JSON')
            : new DomainError(ErrorCode.Internal, 'an unexpected error occurred');
    if (domain.code === ErrorCode.Internal) opts.logger.error({ err }, 'codec listener: unhandled error');
    if (!res.headersSent) sendProblem(res, toProblem(domain, req.path));
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, CODEC_LISTEN_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : opts.port;
  // Slow or idle clients do not hold sockets: the UI's requests are small and quick.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;
  opts.logger.info({ url: `http://${CODEC_LISTEN_HOST}:${port}` }, 'operator codec listener (loopback only)');
  return {
    url: `http://${CODEC_LISTEN_HOST}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The listener as configured (CODEC_LISTEN_PORT), auditing into the platform's database; none when unset. */
export async function startConfiguredCodecListener(
  services: Pick<Services, 'config' | 'codec' | 'db' | 'logger'>,
): Promise<CodecListener | undefined> {
  const { config } = services;
  if (config.CODEC_LISTEN_PORT === undefined) return undefined;
  return startCodecListener({
    port: config.CODEC_LISTEN_PORT,
    codec: services.codec,
    corsOrigins: config.CODEC_CORS_ORIGINS,
    audit: (entry) => writeAudit(services.db, entry),
    maxBodyBytes: config.CODEC_MAX_BODY_BYTES,
    maxPayloads: config.CODEC_MAX_PAYLOADS,
    logger: services.logger.child({ component: 'codec-listener' }),
  });
}
