import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { writeAudit } from '../../db/repositories/audit';
import { codecServerRouter } from '../../platform/codecServer';
import { codecAuthenticatorFromConfig } from '../../platform/codecServerAuth';
import type { ApiDeps } from '../deps';
import { operationIdOf, PROBLEM_RESPONSES } from '../http/route';

const CodecPayloads = z
  .object({
    payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
  })
  .meta({ id: 'CodecPayloads' });

/**
 * The codec server on the API port, for tooling and for a Web UI that passes its OIDC access token:
 * operator token or (when configured) an access token with the operator role. Documented here,
 * implemented in platform/codecServer. The Web UI of `npm start` uses the loopback operator listener.
 */
export function codecRoutes(deps: ApiDeps) {
  return (registry: OpenAPIRegistry): Router => {
    for (const op of ['encode', 'decode']) {
      registry.registerPath({
        method: 'post',
        path: `/codec/${op}`,
        operationId: operationIdOf('post', `/codec/${op}`),
        tags: ['operator'],
        summary: `Temporal codec server: ${op} payloads (Web UI, tooling); audited`,
        security: [{ operatorToken: [] }],
        request: { body: { content: { 'application/json': { schema: CodecPayloads } } } },
        responses: {
          200: { description: 'Payloads', content: { 'application/json': { schema: CodecPayloads } } },
          ...PROBLEM_RESPONSES,
        },
      });
    }
    return Router().use(
      '/codec',
      codecServerRouter({
        codec: deps.codec,
        authenticate: codecAuthenticatorFromConfig(deps.config),
        corsOrigins: deps.config.CODEC_CORS_ORIGINS,
        audit: (entry) => writeAudit(deps.db, entry),
        via: 'api',
        maxPayloads: deps.config.CODEC_MAX_PAYLOADS,
        logger: deps.logger.child({ component: 'codec' }),
      }),
    );
  };
}
