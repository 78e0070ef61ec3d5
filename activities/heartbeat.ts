import { Context } from '@temporalio/activity';

/**
 * Runs a long activity step while heartbeating every `everyMs`, so a worker that died mid-step is
 * noticed after the heartbeat timeout instead of the whole start-to-close timeout, and a cancellation
 * reaches the activity. `stage()` names the step in the heartbeat details (no payload data).
 */
export async function withHeartbeat<T>(everyMs: number, run: (stage: (name: string) => void) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let current = 'started';
  const beat = (): void => ctx.heartbeat({ stage: current });
  beat();
  const timer = setInterval(beat, everyMs);
  try {
    return await run((name) => {
      current = name;
      beat();
    });
  } finally {
    clearInterval(timer);
  }
}
