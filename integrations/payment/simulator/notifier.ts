import { generateKeyPairSync } from 'node:crypto';
import type { Logger } from 'pino';
import type { FaultBook } from './faults';
import { signNotification } from './signing';

/**
 * Asynchronous notifications: a signed form POST to the merchant's notify_url, repeated on a
 * schedule until the answer body is exactly `success` (the real platform: 4m, 10m, 10m, 1h, 2h,
 * 6h, 15h — eight attempts over about 25 hours).
 */
export const PLATFORM_RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((min) => min * 60_000);

export interface DeliveryAttempt {
  notifyId: string;
  outTradeNo: string;
  tradeStatus: string;
  attempt: number;
  /** HTTP status, or 0 when the merchant could not be reached. */
  status: number;
  acknowledged: boolean;
  forged: boolean;
  at: Date;
}

interface Pending {
  url: string;
  params: Record<string, string>;
  forged: boolean;
  attempt: number;
}

export class Notifier {
  readonly attempts: DeliveryAttempt[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private outOfOrder: { count: number; held: Pending[] } | undefined;
  private forgeryKey: string | undefined;
  private stopped = false;

  constructor(
    private readonly opts: {
      platformPrivateKeyPem: string;
      retryScheduleMs: readonly number[];
      deliveryTimeoutMs: number;
      faults: FaultBook;
      logger?: Logger | undefined;
    },
  ) {}

  send(url: string, params: Record<string, string>): void {
    const forged = this.opts.faults.take('notifyForged') !== undefined;
    const job: Pending = { url, params, forged, attempt: 0 };
    const reorder = this.outOfOrder ?? this.startOutOfOrder();
    if (reorder) {
      reorder.held.push(job);
      if (reorder.held.length < reorder.count) return;
      this.outOfOrder = undefined;
      for (const held of reorder.held.reverse()) this.dispatch(held);
      return;
    }
    this.dispatch(job);
  }

  /** Resolves once nothing is scheduled or in flight (tests use it to wait for retries to finish). */
  async idle(): Promise<void> {
    while (this.timers.size > 0 || this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private startOutOfOrder(): { count: number; held: Pending[] } | undefined {
    const fault = this.opts.faults.take('notifyOutOfOrder');
    if (!fault) return undefined;
    this.outOfOrder = { count: fault.count, held: [] };
    return this.outOfOrder;
  }

  private dispatch(job: Pending): void {
    const late = this.opts.faults.take('notifyLate');
    const duplicate = this.opts.faults.take('notifyDuplicate') !== undefined;
    this.schedule(job, late?.ms ?? 0);
    if (duplicate) this.schedule({ ...job }, late?.ms ?? 0);
  }

  private schedule(job: Pending, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const p = this.attempt(job).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(job: Pending): Promise<void> {
    job.attempt += 1;
    const key = job.forged ? this.forgery() : this.opts.platformPrivateKeyPem;
    const signed = signNotification(job.params, key);
    let status = 0;
    let acknowledged = false;
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
        body: new URLSearchParams(signed).toString(),
        signal: AbortSignal.timeout(this.opts.deliveryTimeoutMs),
      });
      status = res.status;
      acknowledged = res.status === 200 && (await res.text()) === 'success';
    } catch {
      // Unreachable or timed out (status stays 0): same as a wrong answer, retry later.
    }
    this.attempts.push({
      notifyId: job.params.notify_id ?? '',
      outTradeNo: job.params.out_trade_no ?? '',
      tradeStatus: job.params.trade_status ?? '',
      attempt: job.attempt,
      status,
      acknowledged,
      forged: job.forged,
      at: new Date(),
    });
    this.opts.logger?.debug({ notifyId: job.params.notify_id, attempt: job.attempt, status, acknowledged }, 'sim notification attempt');
    if (acknowledged) return;
    const next = this.opts.retryScheduleMs[job.attempt - 1];
    if (next === undefined) {
      this.opts.logger?.warn({ notifyId: job.params.notify_id }, 'sim notification abandoned after last retry');
      return;
    }
    this.schedule(job, next);
  }

  private forgery(): string {
    this.forgeryKey ??= generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    return this.forgeryKey;
  }
}
