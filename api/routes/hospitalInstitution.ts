import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { parseAck, peekHeader } from '../../integrations/hospital/hl7';
import { InstitutionEvent, institutionEventToHl7 } from '../hospital/jsonEvents';
import { listFailedInbox, type InboundDispatch, type InboundMeta } from '../../integrations/hospital/inbound';
import { institutionAuth, operatorAuth } from '../auth/middleware';
import { requireInstitution } from '../auth/principal';
import { inboxReplay } from '../hospital/inboxReplay';
import type { ApiDeps } from '../deps';
import { audited } from '../http/operatorAudit';
import { addRoute } from '../http/route';

export const Hl7Submission = z.object({ message: z.string().min(8).max(1_000_000) }).meta({ id: 'Hl7Submission' });
export const Hl7AckView = z.object({ ack: z.string() }).meta({ id: 'Hl7Ack' });
export const InstitutionEventAccepted = z
  .object({ eventId: z.string(), status: z.literal('accepted') })
  .meta({ id: 'InstitutionEventAccepted' });
export const FailedInboxItem = z
  .object({
    id: z.string(),
    sender: z.string(),
    messageId: z.string(),
    messageType: z.string().nullable(),
    correlation: z.string().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    receivedAt: z.string(),
  })
  .meta({ id: 'FailedInboxItem' });

/**
 * Hospitals that post HL7 over HTTPS instead of MLLP (signed like every institution request), and the
 * operator routes over the inbox: list what failed, reprocess it once the cause is fixed.
 */
export function hospitalInstitutionRoutes(
  deps: ApiDeps,
  inbound: { handle: (raw: string, meta: InboundMeta) => Promise<string>; dispatch: InboundDispatch },
) {
  const replay = inboxReplay(deps, inbound.dispatch);
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    const asInstitution = institutionAuth(deps.db, deps.pii, { limiter: deps.limits.institution });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/hl7',
      summary: 'Submit one HL7 v2 message (answered with its ACK)',
      tags: ['institutions'],
      audience: 'institution',
      body: Hl7Submission,
      response: Hl7AckView,
      middleware: [asInstitution],
      handler: async ({ body }, req) => {
        const { institutionId } = requireInstitution(req);
        // An institution speaks only for itself: MSH-4 must name it.
        const facility = peekHeader(body.message).sendingFacility;
        if (facility && facility !== institutionId) throw new DomainError(ErrorCode.Forbidden, 'MSH-4 names another institution');
        return { ack: await inbound.handle(body.message, { remoteAddress: req.ip ?? 'http', authenticatedInstitution: institutionId }) };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/events',
      summary: 'Submit one hospital event as JSON (patient called, orders placed, results reported)',
      tags: ['institutions'],
      audience: 'institution',
      status: 202,
      body: InstitutionEvent,
      response: InstitutionEventAccepted,
      middleware: [asInstitution],
      handler: async ({ body }, req) => {
        const { institutionId } = requireInstitution(req);
        const ack = parseAck(
          await inbound.handle(institutionEventToHl7(body, institutionId), {
            remoteAddress: req.ip ?? 'http',
            authenticatedInstitution: institutionId,
          }),
        );
        // Schema validation already ran, so a refusal here is about the event's content (or storage).
        if (ack.ackCode !== 'AA') throw new DomainError(ErrorCode.ValidationFailed, ack.text ?? `event refused (${ack.ackCode})`);
        return { eventId: body.eventId, status: 'accepted' as const };
      },
    });
    const asOperator = operatorAuth(deps.config.OPERATOR_TOKENS);
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/operator/inbox/failed',
      summary: 'Inbound messages that failed (no bodies)',
      tags: ['operator'],
      audience: 'operator',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: z.array(FailedInboxItem),
      middleware: [asOperator],
      handler: async ({ query }, req) =>
        (
          await audited(
            deps.db,
            req,
            'inbox.list_failed',
            'inbox',
            () => listFailedInbox(deps.db, { limit: query.limit }),
            (rows) => ({ count: rows.length }),
          )
        ).map((r) => ({
          id: String(r.id),
          sender: r.sender,
          messageId: r.messageId,
          messageType: r.messageType ?? null,
          correlation: r.correlation ?? null,
          error: r.error ?? null,
          attempts: r.attempts,
          receivedAt: new Date(r.receivedAt).toISOString(),
        })),
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/operator/inbox/:id/reprocess',
      summary: 'Apply a stored message again',
      tags: ['operator'],
      audience: 'operator',
      params: z.object({ id: z.string().regex(/^\d+$/) }),
      response: z.object({ id: z.string(), status: z.string(), error: z.string().optional(), attempts: z.number().int() }),
      middleware: [asOperator],
      handler: async ({ params }, req) => {
        const r = await replay(req, params.id);
        return { id: String(r.id), status: r.status, attempts: r.attempts, ...(r.error ? { error: r.error } : {}) };
      },
    });
    return router;
  };
}
