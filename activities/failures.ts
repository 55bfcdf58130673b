// Turns errors from the outside world into Temporal failures: permanent ones become non-retryable,
// everything else is retried by the activity's retry policy.
import { ApplicationFailure } from '@temporalio/common';
import { isPermanentErrorName } from '../domain/errors.js';

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof Error && isPermanentErrorName(err.name)) {
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
  }
  return err;
}

/** Wraps every function of an activities object so permanent errors are marked non-retryable. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw toFailure(err);
        }
      },
    ]),
  ) as T;
}
