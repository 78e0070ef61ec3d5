import type { Logger } from 'pino';
import type { SqlRunner } from '../../db/repositories/slots';
import { liveSecrets, type SecretCipher } from '../../db/repositories/webhookEndpoints';
import {
  claimDueDeliveries,
  markAttemptFailed,
  markDelivered,
  pauseEndpoint,
  WEBHOOK_CHANNEL,
  type ClaimedDelivery,
} from '../../db/repositories/webhookOutbox';
import { writeAudit } from '../../db/repositories/audit';
import { afterFailure, isDelivered, pauseReason } from '../../domain/webhooks/retry';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../../domain/webhooks/signature';
import { fetchSender, type SendResult, type WebhookSender } from '../../integrations/webhooks/sender';
import type { ChangeFeed } from '../../db/changeFeed';

export interface WebhookDispatcherDeps {
  db: SqlRunner;
  cipher: SecretCipher;
  logger: Logger;
  /** Milliseconds since the epoch; tests pass a clock they move, so an outage of hours takes none. */
  clock?: () => number;
  sender?: WebhookSender;
  timeoutMs: number;
  /** Only these partners' deliveries (absent: everyone's). */
  partners?: readonly string[];
  /** Attempts in flight at once in this process. */
  concurrency: number;
  /** How long an endpoint may fail every attempt before it is paused. */
  pauseAfterSeconds: number;
  /** How often due retries are looked for when no NOTIFY woke the dispatcher. */
  pollMs: number;
  /** Wakes the dispatcher at once when a trigger enqueues a delivery (absent: polling only). */
  changes?: ChangeFeed;
  /** False: no timers; the caller drives it with `drain()` (tests with a moved clock). */
  autoRun?: boolean;
}

export interface WebhookDispatcher {
  /** Attempts everything due now, until nothing is; answers how many attempts were made. */
  drain(): Promise<number>;
  poke(): void;
  stop(): Promise<void>;
}

/** The body a partner receives: ids, times and amounts, and the partner's own user id; never PII. */
export function eventBody(d: ClaimedDelivery): string {
  return JSON.stringify({
    id: `evt_${d.event_id}`,
    type: d.type,
    createdAt: d.created_at.toISOString(),
    sequence: d.user_seq,
    userId: d.user_id,
    data: d.data,
  });
}

/**
 * Delivers the webhook outbox from every API process. Due deliveries are claimed with SKIP LOCKED and
 * leased for the attempt's timeout, so processes share the work and a crash loses nothing (the lease
 * runs out and another process tries again). Each attempt is signed with the endpoint's live secrets
 * at the moment it is sent. Failures back off (domain/webhooks/retry.ts) for three days, then are
 * listed for replay; an endpoint that answers 410 or fails for too long is paused and the pause is
 * written to the audit log and shown on the partner's endpoint list.
 */
export function startWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const clock = deps.clock ?? Date.now;
  const sender = deps.sender ?? fetchSender;
  const leaseMs = deps.timeoutMs + 30_000;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  /** One attempt; a success is answered for the batch to record, a failure is recorded here. */
  const attempt = async (d: ClaimedDelivery): Promise<{ id: string; endpointId: string; httpStatus: number } | null> => {
    const nowMs = clock();
    const body = eventBody(d);
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(liveSecrets(deps.cipher, d, nowMs), Math.floor(nowMs / 1000), body),
      [EVENT_ID_HEADER]: `evt_${d.event_id}`,
    };
    const result: SendResult = await sender.send(d.url, body, headers, deps.timeoutMs);
    if (isDelivered(result.httpStatus)) return { id: d.id, endpointId: d.endpoint_id, httpStatus: result.httpStatus! };
    const at = new Date(clock());
    const next = afterFailure(d.attempts, at.getTime(), d.window_start.getTime(), Math.random());
    const failingSince = await markAttemptFailed(deps.db, {
      id: d.id,
      endpointId: d.endpoint_id,
      httpStatus: result.httpStatus,
      error: result.error ?? 'failed',
      at,
      retryAt: next.kind === 'retry' ? new Date(next.atMs) : null,
    });
    const reason = pauseReason({
      httpStatus: result.httpStatus,
      failingSinceMs: failingSince.getTime(),
      nowMs: at.getTime(),
      pauseAfterSeconds: deps.pauseAfterSeconds,
    });
    if (reason && (await pauseEndpoint(deps.db, d.endpoint_id, reason, at))) {
      deps.logger.warn({ endpointId: d.endpoint_id, reason }, 'webhook endpoint paused; its deliveries wait until the partner resumes it');
      await writeAudit(deps.db, {
        actor: 'system:webhooks',
        action: 'webhook.endpoint.paused',
        subject: d.endpoint_id,
        details: { reason, lastStatus: result.httpStatus },
      });
    }
    return null;
  };

  /**
   * Claims a few rounds of work at once and keeps `concurrency` attempts in flight over it, so one
   * slow receiver does not idle the rest; successes are recorded in one statement per claim.
   */
  const pass = async (): Promise<number> => {
    let attempts = 0;
    for (;;) {
      const nowMs = clock();
      const batch = await claimDueDeliveries(deps.db, new Date(nowMs), new Date(nowMs + leaseMs), deps.concurrency * 4, deps.partners);
      if (batch.length === 0) return attempts;
      attempts += batch.length;
      const delivered: Array<{ id: string; endpointId: string; httpStatus: number }> = [];
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < batch.length) {
          const d = batch[next++]!;
          try {
            const ok = await attempt(d);
            if (ok) delivered.push(ok);
          } catch (err) {
            // The database failed around the attempt: the lease makes the delivery due again later.
            deps.logger.warn({ err, deliveryId: d.id }, 'webhook attempt could not be recorded; it is retried after its lease');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.concurrency, batch.length) }, lane));
      await markDelivered(deps.db, delivered, new Date(clock()));
      if (stopped) return attempts;
    }
  };

  const drain = async (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    let total = 0;
    running = (async () => {
      do {
        again = false;
        total += await pass();
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const poke = (): void => {
    if (stopped || deps.autoRun === false) return;
    void drain().catch((err: unknown) => deps.logger.warn({ err }, 'webhook dispatch pass failed; the next one retries'));
  };

  const unsubscribe = deps.autoRun === false ? null : (deps.changes?.subscribe(WEBHOOK_CHANNEL, 'due', poke) ?? null);
  if (deps.autoRun !== false) {
    timer = setInterval(poke, deps.pollMs);
    timer.unref();
    poke();
  }

  return {
    drain,
    poke,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      unsubscribe?.();
      await running?.catch(() => undefined);
    },
  };
}
