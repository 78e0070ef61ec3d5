import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { codecServerRouter } from '../../platform/codecServer';
import type { ApiDeps } from '../deps';
import { Problem } from '../http/problem';

const CodecPayloads = z
  .object({
    payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
  })
  .meta({ id: 'CodecPayloads' });

/** The Web UI's codec server, for operators: documented here, implemented in platform/codecServer. */
export function codecRoutes(deps: ApiDeps) {
  return (registry: OpenAPIRegistry): Router => {
    for (const op of ['encode', 'decode']) {
      registry.registerPath({
        method: 'post',
        path: `/codec/${op}`,
        tags: ['operator'],
        summary: `Temporal codec server: ${op} payloads (Web UI)`,
        security: [{ operatorToken: [] }],
        request: { body: { content: { 'application/json': { schema: CodecPayloads } } } },
        responses: {
          200: { description: 'Payloads', content: { 'application/json': { schema: CodecPayloads } } },
          default: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: Problem } } },
        },
      });
    }
    return Router().use(
      '/codec',
      codecServerRouter({ codec: deps.codec, operatorTokens: deps.config.OPERATOR_TOKENS, corsOrigins: deps.config.CODEC_CORS_ORIGINS }),
    );
  };
}
