import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { sendRiderDayTaps } from '../../clients/transit/riderDay';
import type { TransitOperator } from '../../db/repositories/transitOperators';
import { claimPendingTaps, resolveLateRiders, type PendingTap } from '../../db/repositories/transitTaps';
import { owedDaysOf } from '../../db/repositories/transitSettlement';
import { workflowIds } from '../../domain/ids';
import { retryRiderChargeSignal } from '../../workflows/transit/riderDay/definitions';
import { transitServiceDayEnd } from '../../domain/transit/serviceDay';

export interface TapForwarderDeps {
  db: DataSource;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  operatorOf: (operatorId: string) => Promise<TransitOperator>;
  intervalMs: number;
  /** Whose taps to forward (TRANSIT_FORWARD_OPERATORS); every operator's when absent. */
  operators?: readonly string[] | '*';
  batch: number;
  settlementDelaySeconds: number;
  chargeRetrySeconds: readonly number[];
  lateChargeDays: number;
  /** Absent: an hour (the workflow's default). */
  retryOnTapAfterSeconds?: number;
}

export interface TapForwarder {
  /** Forward soon: taps were just stored. */
  poke(): void;
  /** Resolves when no pass is running (tests, drain). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Rider-days signalled at once per pass: each is one Temporal call while the pass holds its rows. */
const PARALLEL_SIGNALS = 32;

/**
 * Moves stored taps to their rider-day workflows, a batch per rider-day, in every API process: rows
 * are claimed with SKIP LOCKED and marked forwarded only after the signal succeeded, so a crash or a
 * Temporal outage leaves them pending for the next pass (every few seconds, and at boot).
 */
export function startTapForwarder(deps: TapForwarderDeps): TapForwarder {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const forwardGroup = async (group: PendingTap[]): Promise<string[]> => {
    const first = group[0]!;
    try {
      const op = await deps.operatorOf(first.operatorId);
      const dayEnd = transitServiceDayEnd(first.serviceDay, op.timeZone, op.serviceDayStart);
      await sendRiderDayTaps(
        deps.temporal,
        deps.taskQueue,
        {
          version: 1,
          operatorId: first.operatorId,
          riderRef: first.riderRef,
          riderCategoryId: first.riderCategoryId,
          serviceDay: first.serviceDay,
          settleAfterMs: dayEnd + deps.settlementDelaySeconds * 1000,
          chargeRetryOffsetsMs: deps.chargeRetrySeconds.map((s) => s * 1000),
          lateChargeUntilMs: dayEnd + deps.lateChargeDays * 86_400_000,
          ...(deps.retryOnTapAfterSeconds !== undefined ? { retryOnTapAfterMs: deps.retryOnTapAfterSeconds * 1000 } : {}),
        },
        group.map((p) => p.tap),
      );
      return group.map((p) => p.id);
    } catch (err) {
      deps.logger.warn(
        { err, workflowId: workflowIds.transitDay(first.operatorId, first.riderRef, first.serviceDay), taps: group.length },
        'forwarding taps failed; they stay pending',
      );
      return [];
    }
  };

  /** Riders whose taps were forwarded in this pass, with the latest service day they rode. */
  const rodeLately = new Map<string, { operatorId: string; riderRef: string; serviceDay: string }>();

  const forward = async (taps: PendingTap[]): Promise<string[]> => {
    const groups = new Map<string, PendingTap[]>();
    for (const t of taps) {
      const rider = `${t.operatorId}/${t.riderRef}`;
      const seen = rodeLately.get(rider);
      if (!seen || seen.serviceDay < t.serviceDay)
        rodeLately.set(rider, { operatorId: t.operatorId, riderRef: t.riderRef, serviceDay: t.serviceDay });
      const key = `${t.operatorId}/${t.riderRef}/${t.serviceDay}`;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    const queue = [...groups.values()];
    const done: string[] = [];
    const lanes = Array.from({ length: Math.min(PARALLEL_SIGNALS, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) done.push(...(await forwardGroup(g)));
    });
    await Promise.all(lanes);
    return done;
  };

  /**
   * A rider who rides again may have the money again: each earlier day of theirs whose charge was
   * refused is asked to try once more (the workflow spaces such retries out).
   */
  const retryOwedDays = async (): Promise<void> => {
    if (rodeLately.size === 0) return;
    const riders = [...rodeLately.values()];
    rodeLately.clear();
    const owed = await owedDaysOf(deps.db, riders);
    const latest = new Map(riders.map((r) => [`${r.operatorId}/${r.riderRef}`, r.serviceDay]));
    await Promise.all(
      owed
        .filter((d) => d.serviceDay < (latest.get(`${d.operatorId}/${d.riderRef}`) ?? ''))
        .map(async (d) => {
          try {
            await deps.temporal.workflow
              .getHandle(workflowIds.transitDay(d.operatorId, d.riderRef, d.serviceDay))
              .signal(retryRiderChargeSignal, { version: 1 });
          } catch (err) {
            // Settled meanwhile (not found), or Temporal unavailable: the schedule still retries it.
            deps.logger.debug({ err, serviceDay: d.serviceDay }, 'asking a refused day to retry failed');
          }
        }),
    );
  };

  const pass = async (): Promise<void> => {
    try {
      await resolveLateRiders(deps.db);
      for (;;) {
        again = false;
        let forwarded = 0;
        const claimed = await claimPendingTaps(
          deps.db,
          deps.batch,
          async (taps) => {
            const done = await forward(taps);
            forwarded = done.length;
            return done;
          },
          deps.operators ?? '*',
        );
        // Stop when the queue looked empty, or nothing could be forwarded (retry on the next tick).
        if (stopped || forwarded === 0 || (claimed < deps.batch && !again)) break;
      }
      await retryOwedDays();
    } catch (err) {
      deps.logger.warn({ err }, 'tap forwarding pass failed');
    }
  };

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = null;
      if (again && !stopped) run();
    });
  };

  const timer = setInterval(run, deps.intervalMs);
  timer.unref();
  run(); // taps a crash left pending are forwarded at boot

  return {
    poke: run,
    idle: async () => {
      while (running) await running;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
