import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { type z } from 'zod';
import { Problem } from './problem';
import { parseOr422 } from './validate';

export type Audience = 'partner' | 'institution' | 'operator' | 'public';

type Obj = z.ZodObject<z.ZodRawShape>;

export interface RouteSpec<P extends Obj, Q extends Obj, B extends z.ZodType, R extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The generated clients' method name; derived from the method and path when absent (`operationIdOf`). */
  operationId?: string;
  /** Express-style path (`/v1/visits/:bookingRef`); converted to `{bookingRef}` for OpenAPI. */
  path: string;
  summary: string;
  tags: string[];
  audience: Audience;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  status?: number;
  /** Runs before validation: authentication, idempotency. */
  middleware?: RequestHandler[];
  /** Content type of a non-JSON response (SSE, plain text); documented but not validated. */
  produces?: string;
  /** Content type of the request body when not JSON (form posts from the payment platform). */
  consumes?: string;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> },
    req: Request,
    res: Response,
  ) => Promise<z.infer<R> | undefined>;
}

/**
 * A stable operation id from the method and path, for clients generated from the document:
 * `GET /v1/visits/:bookingRef/queue` → `getVisitsByBookingRefQueue`. Unique because routes are.
 */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((seg) => seg !== '' && seg !== 'v1')
    .map((seg) => (seg.startsWith(':') ? `by-${seg.slice(1)}` : seg))
    .flatMap((seg) => seg.split(/[-_.]|(?=[A-Z])/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

/** Every error is problem+json: the client errors are documented as one range, the rest as `default`. */
export const PROBLEM_RESPONSES = {
  '4XX': {
    description:
      'Problem (RFC 9457): validation (422, naming each field), authentication (401), not yours (403), not found, conflict, rate limited',
    content: { 'application/problem+json': { schema: Problem } },
  },
  default: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: Problem } } },
};

const SECURITY: Record<Audience, RouteConfig['security']> = {
  partner: [{ partnerApiKey: [], userId: [] }],
  institution: [{ institutionSignature: [] }],
  operator: [{ operatorToken: [] }],
  public: [],
};

/**
 * One definition gives both the express handler (validating params, query and body with the zod
 * schemas) and the OpenAPI operation, so the document can never miss a route or drift from it.
 */
export function addRoute<P extends Obj, Q extends Obj, B extends z.ZodType, R extends z.ZodType>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<P, Q, B, R>,
): void {
  const status = spec.status ?? 200;
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
    operationId: spec.operationId ?? operationIdOf(spec.method, spec.path),
    summary: spec.summary,
    tags: spec.tags,
    security: SECURITY[spec.audience],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body ? { body: { content: { [spec.consumes ?? 'application/json']: { schema: spec.body } } } } : {}),
    },
    responses: {
      [status]: { description: 'Success', content: { [spec.produces ?? 'application/json']: { schema: spec.response } } },
      ...PROBLEM_RESPONSES,
    },
  });
  const run = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const params = spec.params ? parseOr422(spec.params, req.params, 'params') : ({} as z.infer<P>);
      const query = spec.query ? parseOr422(spec.query, req.query, 'query') : ({} as z.infer<Q>);
      const body = spec.body ? parseOr422(spec.body, req.body ?? {}, 'body') : (undefined as z.infer<B>);
      const result = await spec.handler({ params, query, body }, req, res);
      if (!res.headersSent && result !== undefined) res.status(status).json(result);
    } catch (err) {
      next(err);
    }
  };
  router[spec.method](spec.path, ...(spec.middleware ?? []), run);
}
