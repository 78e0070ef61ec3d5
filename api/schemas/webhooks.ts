import { z } from 'zod';

/** The event types a partner can subscribe an endpoint to (an empty list subscribes to all). */
export const WEBHOOK_EVENT_TYPES = [
  'notice.created',
  'visit.stage_changed',
  'rider_day.stage_changed',
  'retail_order.stage_changed',
] as const;

export const CreateEndpoint = z
  .object({
    url: z.string().max(2_000).url('an absolute URL'),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).default([]),
  })
  .strict()
  .meta({ id: 'CreateWebhookEndpoint' });

export const EndpointView = z
  .object({
    endpointId: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    status: z.enum(['active', 'paused']),
    /** Why it was paused: `gone` (it answered 410) or `failing` (every attempt failed for too long). */
    pausedReason: z.string().nullable(),
    pausedAt: z.string().nullable(),
    /** Since when every attempt has failed (null while it is healthy). */
    failingSince: z.string().nullable(),
    /** While set, deliveries are signed with the previous secret too (a rotation under way). */
    previousSecretUntil: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const EndpointCreated = EndpointView.extend({
  /** Shown once: the HMAC secret that signs deliveries (`Causeway-Signature`). */
  secret: z.string(),
}).meta({ id: 'WebhookEndpointCreated' });

export const EndpointList = z.object({ endpoints: z.array(EndpointView) }).meta({ id: 'WebhookEndpoints' });

export const EndpointParams = z.object({ endpointId: z.string().uuid('an endpoint id') });

export const SecretRotated = z.object({ secret: z.string(), previousSecretUntil: z.string() }).meta({ id: 'WebhookSecretRotated' });

export const DeliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  endpointId: z.string().uuid('an endpoint id').optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const DeliveryView = z
  .object({
    deliveryId: z.string(),
    eventId: z.string(),
    endpointId: z.string(),
    type: z.string(),
    sequence: z.number().int(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastHttpStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    failedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export const DeliveriesPage = z
  .object({ deliveries: z.array(DeliveryView), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveries' });

export const DeliveryParams = z.object({ deliveryId: z.string().regex(/^\d{1,18}$/, 'a delivery id') });

export const ReplaySince = z
  .object({
    /** Every delivery that failed at or after this time (ISO 8601). */
    since: z.iso.datetime({ offset: true }),
    endpointId: z.string().uuid('an endpoint id').optional(),
  })
  .strict()
  .meta({ id: 'ReplayWebhooks' });

export const Replayed = z.object({ replayed: z.number().int() }).meta({ id: 'WebhooksReplayed' });
