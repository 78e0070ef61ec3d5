import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { deleteExpiredKeys } from '../../db/repositories/expiry';
import type { Env } from '../../platform/config';

type SweepConfig = Pick<Env, 'IDEMPOTENCY_TTL_SECONDS' | 'REQUEST_NONCE_TTL_SECONDS' | 'STORE_SWEEP_INTERVAL_SECONDS'>;

/** One sweep of expired idempotency keys and nonces. Safe to run from every API process at once. */
export function sweepOnce(db: DataSource, config: SweepConfig): Promise<{ idempotencyKeys: number; nonces: number }> {
  return deleteExpiredKeys(db, { idempotencySeconds: config.IDEMPOTENCY_TTL_SECONDS, nonceSeconds: config.REQUEST_NONCE_TTL_SECONDS });
}

/** Sweeps now and then every interval; returns a stop function. A failed sweep is logged and tried again next time. */
export function startSweeper(db: DataSource, config: SweepConfig, logger: Logger): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    running = sweepOnce(db, config).then(
      (n) => {
        if (n.idempotencyKeys + n.nonces > 0) logger.info(n, 'expired idempotency keys and nonces deleted');
      },
      (err: unknown) => logger.warn({ err }, 'sweep of expired keys failed'),
    );
  };
  run();
  const timer = setInterval(run, config.STORE_SWEEP_INTERVAL_SECONDS * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
