import { z } from 'zod';
import { startReceiverSimulator, type ReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';

const Endpoints = z.object({ endpoints: z.array(z.object({ endpointId: z.string(), url: z.string() })) });
const Created = z.object({ endpointId: z.string(), secret: z.string() });
const Notices = z.object({
  notices: z.array(z.object({ kind: z.string(), createdAt: z.string(), text: z.string().optional() })),
  unreadCount: z.number(),
});

interface DemoWebhooks {
  receiver: ReceiverSimulator;
  /** Prints the demo patient's inbox and what the partner's endpoint received. */
  report(userId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The demo partner app's webhook endpoint: a receiver on loopback that verifies signatures and
 * de-duplicates, registered through the partner API (an earlier run's loopback endpoint is removed
 * first, since its port is gone).
 */
export async function startDemoWebhooks(o: { apiUrl: string; partnerApiKey: string; say: (m: string) => void }): Promise<DemoWebhooks> {
  const headers = { authorization: `Bearer ${o.partnerApiKey}`, 'content-type': 'application/json' };
  const call = async <T>(schema: z.ZodType<T>, method: string, path: string, body?: object, user?: string): Promise<T> => {
    const res = await fetch(`${o.apiUrl}${path}`, {
      method,
      headers: { ...headers, ...(user ? { 'x-causeway-user': user } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return schema.parse(JSON.parse(text));
  };
  const receiver = await startReceiverSimulator();
  for (const e of (await call(Endpoints, 'GET', '/v1/partner/webhooks/endpoints')).endpoints) {
    if (e.url.startsWith('http://127.0.0.1:')) await call(z.unknown(), 'DELETE', `/v1/partner/webhooks/endpoints/${e.endpointId}`);
  }
  const created = await call(Created, 'POST', '/v1/partner/webhooks/endpoints', { url: receiver.url });
  receiver.secrets = [created.secret];
  o.say(`webhooks     the demo partner's endpoint ${receiver.url} (signed events: notices and journey stages)`);
  return {
    receiver,
    async report(userId) {
      const inbox = await call(Notices, 'GET', '/v1/users/me/notices?limit=8&locale=en', undefined, userId);
      o.say(`inbox: ${inbox.unreadCount} unread; the newest:`);
      for (const n of inbox.notices) o.say(`  ${n.createdAt.slice(11, 19)}  ${n.text ?? n.kind}`);
      const events = receiver.applied;
      const first = events.find((e) => e.type === 'visit.stage_changed') ?? events[0];
      if (!first) {
        o.say('webhooks: nothing delivered yet');
        return;
      }
      o.say(
        `webhooks: ${events.length} events delivered, every signature verified (${receiver.refused} refused); e.g. ${first.id} ${first.type} ` +
          `#${first.sequence} ${JSON.stringify(first.data)}`,
      );
    },
    stop: () => receiver.close(),
  };
}
