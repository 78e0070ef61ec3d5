import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ApiDeps } from './deps';
import { addRoute } from './http/route';

export const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'unavailable'])).optional(),
});
export type Health = z.infer<typeof Health>;

async function check(logger: Logger, name: string, fn: () => Promise<unknown>, timeoutMs = 2_000): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return [name, 'ok'];
  } catch (err) {
    // The reason goes to the log only: connection strings, host names and driver errors are not for the public.
    logger.warn({ err, check: name }, 'readiness check failed');
    return [name, 'unavailable'];
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ApiDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  addRoute(router, registry, {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['health'],
    audience: 'public',
    response: Health,
    handler: async () => ({ status: 'ok' as const }),
  });
  addRoute(router, registry, {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: PostgreSQL and Temporal reachable',
    tags: ['health'],
    audience: 'public',
    response: Health,
    handler: async (_in, _req, res) => {
      const checks = Object.fromEntries(
        await Promise.all([
          check(deps.logger, 'database', () => deps.db.query('SELECT 1')),
          check(deps.logger, 'temporal', () => deps.temporal.workflowService.getSystemInfo({})),
        ]),
      );
      const ok = Object.values(checks).every((v) => v === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
      return undefined;
    },
  });
  return router;
}
