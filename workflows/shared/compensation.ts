import { CancellationScope, isCancellation, log, TemporalFailure } from '@temporalio/workflow';

/**
 * A saga's undo stack, shared by every journey (hospital now; transit and retail reuse it). Each
 * step that changes the world registers how to undo it as soon as the change may have happened;
 * a step whose effect becomes final (the service was delivered) withdraws its undo. On failure or
 * cancellation the journey runs the stack newest first, in a non-cancellable scope, so an operator's
 * cancel cannot interrupt the refund it caused. Undo steps must be idempotent: a worker that dies
 * mid-compensation replays the workflow and runs the remaining (and possibly the last) step again.
 */
export interface UndoStep {
  name: string;
  undo: () => Promise<void>;
}

export interface CompensationReport {
  /** Steps that ran to completion, in the order they ran. */
  done: string[];
  /** Steps that gave up (a non-retryable refusal or an exhausted retry budget), with the reason. */
  failed: Array<{ name: string; reason: string }>;
}

export class Compensations {
  private readonly steps: UndoStep[] = [];

  /** Registers an undo; a second registration under the same name replaces the first (keeps its place). */
  add(name: string, undo: () => Promise<void>): void {
    const existing = this.steps.find((s) => s.name === name);
    if (existing) existing.undo = undo;
    else this.steps.push({ name, undo });
  }

  /** The change became final (or was undone on the normal path): nothing to undo any more. */
  remove(name: string): void {
    const at = this.steps.findIndex((s) => s.name === name);
    if (at >= 0) this.steps.splice(at, 1);
  }

  has(name: string): boolean {
    return this.steps.some((s) => s.name === name);
  }

  names(): string[] {
    return this.steps.map((s) => s.name);
  }

  /**
   * Runs every registered undo, newest first, each on its own: one step that gives up does not stop
   * the others (a refused HIS cancel must not keep the patient's money). Nothing here can be cancelled.
   */
  async run(): Promise<CompensationReport> {
    return CancellationScope.nonCancellable(async () => {
      const report: CompensationReport = { done: [], failed: [] };
      while (this.steps.length > 0) {
        const step = this.steps.pop() as UndoStep;
        try {
          await step.undo();
          report.done.push(step.name);
        } catch (err) {
          // Only Temporal failures are a step's answer; anything else is a bug and fails the task (retried).
          if (!(err instanceof TemporalFailure)) throw err;
          log.warn('compensation step gave up', { step: step.name, reason: failureReason(err) });
          report.failed.push({ name: step.name, reason: failureReason(err) });
        }
      }
      return report;
    });
  }
}

/** A short, PII-free reason for a failure: the code of the innermost typed failure, or its kind. */
export function failureReason(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur instanceof TemporalFailure; depth++) {
    const type = (cur as { type?: unknown }).type;
    if (typeof type === 'string' && type.length > 0) return type.slice(0, 64);
    cur = cur.cause;
  }
  return err instanceof TemporalFailure ? err.name : 'internal';
}

/** Failures a journey compensates for: anything Temporal reports (activity, child, cancellation), never a code bug. */
export function isCompensable(err: unknown): boolean {
  return err instanceof TemporalFailure;
}
