import { CancellationScope, condition, log } from '@temporalio/workflow';
import type { VisitStatus } from './types';

/**
 * Publishes the visit's status to its read model (PostgreSQL) whenever it changed: after any
 * activation that changed it, one write carrying everything changed since the last one. Runs in a
 * non-cancellable scope, so an operator's cancel never stops the read model from showing the end.
 */
export function publishVisitStatus(
  status: VisitStatus,
  publish: (seq: number, snapshot: VisitStatus) => Promise<void>,
): { flushed: () => Promise<void> } {
  let published = '';
  let seq = 0;
  let writing = false;
  const changed = (): boolean => JSON.stringify(status) !== published;
  void CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(changed);
      const snapshot = JSON.stringify(status);
      seq += 1;
      writing = true;
      try {
        await publish(seq, JSON.parse(snapshot) as VisitStatus);
        published = snapshot;
      } catch (err) {
        // The activity retries on its own; one that still fails leaves the row at its last snapshot
        // until the next change publishes again.
        published = snapshot;
        log.warn('visit read model not updated', { seq, error: err instanceof Error ? err.name : 'unknown' });
      } finally {
        writing = false;
      }
    }
  });
  return { flushed: () => CancellationScope.nonCancellable(() => condition(() => !writing && !changed())) };
}
