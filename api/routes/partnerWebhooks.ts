import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { listDeliveries } from '../../db/queries/webhookDeliveries';
import {
  countEndpoints,
  deleteEndpoint,
  createEndpoint,
  listEndpoints,
  resumeEndpoint,
  rotateSecret,
  type EndpointRow,
} from '../../db/repositories/webhookEndpoints';
import { replayFailed } from '../../db/repositories/webhookOutbox';
import { DomainError, ErrorCode } from '../../domain/errors';
import { partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import {
  CreateEndpoint,
  DeliveriesPage,
  DeliveriesQuery,
  DeliveryParams,
  EndpointCreated,
  EndpointList,
  EndpointParams,
  Replayed,
  ReplaySince,
  SecretRotated,
} from '../schemas/webhooks';
import { z } from 'zod';

/** Endpoints per partner: each one multiplies every event into a delivery. */
const MAX_ENDPOINTS = 5;

const endpointView = (e: EndpointRow) => ({
  endpointId: e.id,
  url: e.url,
  eventTypes: e.event_types,
  status: e.status,
  pausedReason: e.paused_reason,
  pausedAt: e.paused_at?.toISOString() ?? null,
  failingSince: e.failing_since?.toISOString() ?? null,
  previousSecretUntil: e.previous_secret_until?.toISOString() ?? null,
  createdAt: e.created_at.toISOString(),
});

/** Refuses what a delivery must never be sent to: http:// in production, credentials in the URL. */
function checkEndpointUrl(raw: string, allowHttp: boolean): void {
  const url = new URL(raw);
  const bad = (message: string) => new DomainError(ErrorCode.ValidationFailed, message, { fields: [{ field: 'body.url', message }] });
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) throw bad('must be an https:// URL');
  if (url.username || url.password) throw bad('must not carry credentials');
}

/**
 * Partner webhooks (issue 14): endpoints, secret rotation, resume after a pause, the delivery list
 * (the failed-delivery dashboard) and replay. Deliveries themselves are made by api/webhooks/dispatcher.ts.
 */
export function partnerWebhookRoutes(deps: ApiDeps) {
  const { db, pii, config } = deps;
  const asPartner = partnerAuth(db, { userRequired: false, limits: deps.limits });
  const allowHttp = config.WEBHOOK_ALLOW_HTTP ? config.WEBHOOK_ALLOW_HTTP === 'true' : config.NODE_ENV !== 'production';
  const now = () => deps.now?.() ?? Date.now();

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/partner/webhooks/endpoints',
      summary: 'Registers an endpoint for signed events (all types, or those listed); answers its secret once',
      tags: ['webhooks'],
      audience: 'partner',
      body: CreateEndpoint,
      response: EndpointCreated,
      status: 201,
      middleware: [asPartner],
      handler: async ({ body }, req) => {
        const { partnerId } = requirePartner(req);
        checkEndpointUrl(body.url, allowHttp);
        if ((await countEndpoints(db, partnerId)) >= MAX_ENDPOINTS)
          throw new DomainError(ErrorCode.Conflict, `a partner holds at most ${MAX_ENDPOINTS} endpoints`);
        const { endpoint, secret } = await createEndpoint(db, pii, { partnerId, url: body.url, eventTypes: body.eventTypes });
        return { ...endpointView(endpoint), secret };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/partner/webhooks/endpoints',
      summary: "The partner's endpoints: status, why one is paused, since when one is failing",
      tags: ['webhooks'],
      audience: 'partner',
      response: EndpointList,
      middleware: [asPartner],
      handler: async (_in, req) => ({ endpoints: (await listEndpoints(db, requirePartner(req).partnerId)).map(endpointView) }),
    });
    addRoute(router, registry, {
      method: 'delete',
      path: '/v1/partner/webhooks/endpoints/:endpointId',
      summary: 'Removes an endpoint and its deliveries; nothing is sent to it again',
      tags: ['webhooks'],
      audience: 'partner',
      params: EndpointParams,
      response: z.object({ deleted: z.literal(true) }).meta({ id: 'WebhookEndpointDeleted' }),
      middleware: [asPartner],
      handler: async ({ params }, req) => {
        if (!(await deleteEndpoint(db, requirePartner(req).partnerId, params.endpointId)))
          throw new DomainError(ErrorCode.NotFound, 'no such endpoint');
        return { deleted: true as const };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/partner/webhooks/endpoints/:endpointId/rotate-secret',
      summary: 'A new signing secret; the previous one keeps signing too for 24 hours',
      tags: ['webhooks'],
      audience: 'partner',
      params: EndpointParams,
      response: SecretRotated,
      middleware: [asPartner],
      handler: async ({ params }, req) => {
        const rotated = await rotateSecret(db, pii, requirePartner(req).partnerId, params.endpointId, now());
        if (!rotated) throw new DomainError(ErrorCode.NotFound, 'no such endpoint');
        return { secret: rotated.secret, previousSecretUntil: rotated.previousUntil.toISOString() };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/partner/webhooks/endpoints/:endpointId/resume',
      summary: 'Resumes a paused endpoint: its waiting deliveries are sent at once',
      tags: ['webhooks'],
      audience: 'partner',
      params: EndpointParams,
      response: z.object({ resumed: z.literal(true) }).meta({ id: 'WebhookEndpointResumed' }),
      middleware: [asPartner],
      handler: async ({ params }, req) => {
        if (!(await resumeEndpoint(db, requirePartner(req).partnerId, params.endpointId, new Date(now()))))
          throw new DomainError(ErrorCode.NotFound, 'no such endpoint');
        return { resumed: true as const };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/partner/webhooks/deliveries',
      summary: 'Deliveries, newest first (filter by status, e.g. failed, and endpoint)',
      tags: ['webhooks'],
      audience: 'partner',
      query: DeliveriesQuery,
      response: DeliveriesPage,
      middleware: [asPartner],
      handler: async ({ query }, req) => {
        const page = await listDeliveries(db, {
          partnerId: requirePartner(req).partnerId,
          limit: query.limit,
          ...(query.status ? { status: query.status } : {}),
          ...(query.endpointId ? { endpointId: query.endpointId } : {}),
          ...(query.cursor ? { before: query.cursor } : {}),
        });
        return {
          deliveries: page.deliveries.map((d) => ({
            deliveryId: d.id,
            eventId: `evt_${d.event_id}`,
            endpointId: d.endpoint_id,
            type: d.type,
            sequence: d.user_seq,
            status: d.status,
            attempts: d.attempts,
            lastHttpStatus: d.last_http_status,
            lastError: d.last_error,
            nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
            deliveredAt: d.delivered_at?.toISOString() ?? null,
            failedAt: d.failed_at?.toISOString() ?? null,
            createdAt: d.created_at.toISOString(),
          })),
          nextCursor: page.nextCursor,
        };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/partner/webhooks/deliveries/:deliveryId/replay',
      summary: 'Sends one failed delivery again (same event id and sequence)',
      tags: ['webhooks'],
      audience: 'partner',
      params: DeliveryParams,
      response: Replayed,
      middleware: [asPartner],
      handler: async ({ params }, req) => {
        const n = await replayFailed(db, requirePartner(req).partnerId, { deliveryId: params.deliveryId }, new Date(now()));
        if (n === 0) throw new DomainError(ErrorCode.NotFound, 'no failed delivery with that id');
        return { replayed: n };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/partner/webhooks/replay',
      summary: 'Sends again every delivery that failed since a time (optionally of one endpoint)',
      tags: ['webhooks'],
      audience: 'partner',
      body: ReplaySince,
      response: Replayed,
      middleware: [asPartner],
      handler: async ({ body }, req) => ({
        replayed: await replayFailed(
          db,
          requirePartner(req).partnerId,
          { since: new Date(body.since), ...(body.endpointId ? { endpointId: body.endpointId } : {}) },
          new Date(now()),
        ),
      }),
    });
    return router;
  };
}
