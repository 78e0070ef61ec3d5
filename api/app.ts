import { randomUUID } from 'node:crypto';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Express, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { DomainError, ErrorCode } from '../domain/errors';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health';
import { problemHandler } from './http/problem';
import { buildOpenApiDocument } from './openapi';

/** A module of routes for one audience or journey: registers its operations and returns its router. */
export type RouteModule = (registry: OpenAPIRegistry) => Router;

export interface BuiltApp {
  app: Express;
  openapi: ReturnType<typeof buildOpenApiDocument>;
}

export function createApp(deps: ApiDeps, modules: RouteModule[] = []): BuiltApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Only method, path and status: bodies and query strings may hold personal data.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  // Keep the raw bytes: signatures (institutions, payment notifications) are computed over them.
  const keepRaw = (req: express.Request, _res: express.Response, buf: Buffer): void => {
    (req as express.Request & { rawBody?: Buffer }).rawBody = buf;
  };
  app.use(express.json({ limit: '256kb', verify: keepRaw }));
  app.use(express.urlencoded({ extended: false, limit: '64kb', verify: keepRaw }));

  const registry = new OpenAPIRegistry();
  app.use(healthRoutes(deps, registry));
  for (const mod of modules) app.use(mod(registry));
  const openapi = buildOpenApiDocument(registry);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use((req, _res, next) => next(new DomainError(ErrorCode.NotFound, `no route for ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger));
  return { app, openapi };
}
