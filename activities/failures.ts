import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors';

/**
 * Activities speak the one error model to Temporal: a business refusal (slot taken, card declined)
 * becomes a non-retryable ApplicationFailure whose `type` is the error code; anything else is thrown
 * as is and retried by the activity's retry policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: !err.retryable,
      details: [{ code: err.code }],
    });
  }
  return err;
}

/** Wrap every function of an activity object so DomainErrors cross the boundary with their code. */
export function withFailureMapping<T extends object>(activities: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    out[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return out as T;
}
