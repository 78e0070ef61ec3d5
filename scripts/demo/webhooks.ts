import { partnerClient } from '../../clients/partner/client';
import { startReceiverSimulator, type ReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';

interface DemoWebhooks {
  receiver: ReceiverSimulator;
  /** Prints the demo patient's inbox and what the partner's endpoint received. */
  report(userId: string): Promise<void>;
  stop(): Promise<void>;
}

/** openapi-fetch answers `{ data, error, response }`: the demo stops on an error with what the API said. */
function must<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) throw new Error(`${what}: ${r.response.status} ${JSON.stringify(r.error)}`);
  return r.data;
}

/**
 * The demo partner app's webhook endpoint: a receiver on loopback that verifies signatures and
 * de-duplicates, registered through the partner API with the client generated from the OpenAPI
 * document (an earlier run's loopback endpoint is removed first, since its port is gone).
 */
export async function startDemoWebhooks(o: { apiUrl: string; partnerApiKey: string; say: (m: string) => void }): Promise<DemoWebhooks> {
  const app = partnerClient({ baseUrl: o.apiUrl, apiKey: o.partnerApiKey });
  const receiver = await startReceiverSimulator();
  for (const e of must('list endpoints', await app.GET('/v1/partner/webhooks/endpoints')).endpoints) {
    if (e.url.startsWith('http://127.0.0.1:'))
      must(
        'remove endpoint',
        await app.DELETE('/v1/partner/webhooks/endpoints/{endpointId}', { params: { path: { endpointId: e.endpointId } } }),
      );
  }
  const created = must(
    'register endpoint',
    await app.POST('/v1/partner/webhooks/endpoints', { body: { url: receiver.url, eventTypes: [] } }),
  );
  receiver.secrets = [created.secret];
  o.say(`webhooks     the demo partner's endpoint ${receiver.url} (signed events: notices and journey stages)`);
  return {
    receiver,
    async report(userId) {
      const me = partnerClient({ baseUrl: o.apiUrl, apiKey: o.partnerApiKey, userId });
      const inbox = must('inbox', await me.GET('/v1/users/me/notices', { params: { query: { limit: 8, locale: 'en' } } }));
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
