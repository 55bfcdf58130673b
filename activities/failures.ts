// Turns errors from the outside world into Temporal failures: permanent ones become non-retryable,
// everything else is retried by the activity's retry policy.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isPermanentErrorName } from '../domain/errors.js';

/** Longest Retry-After we pass on to Temporal as the next retry's delay. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof Error && isPermanentErrorName(err.name)) {
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
  }
  // An upstream that said when to come back (429 Retry-After): Temporal's retry is the one retry layer, so it
  // waits that long rather than its own backoff (still bounded by the policy's attempts and timeouts).
  const retryAfterMs = err instanceof Error ? (err as Error & { retryAfterMs?: unknown }).retryAfterMs : undefined;
  if (err instanceof Error && typeof retryAfterMs === 'number' && retryAfterMs > 0) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nextRetryDelay: Math.min(retryAfterMs, MAX_RETRY_AFTER_MS),
    });
  }
  return err;
}

/**
 * Heartbeats while an activity runs, so a task lost with a crashed worker is retried after the heartbeat
 * timeout instead of its whole start-to-close timeout. Activities that heartbeat progress themselves opt out.
 */
function keepAlive(): () => void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return () => undefined; // called outside an activity (e.g. directly in a unit test)
  }
  const timeout = ctx.info.heartbeatTimeoutMs;
  if (ctx.info.isLocal || !timeout) return () => undefined;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), Math.max(Math.floor(timeout / 3), 50));
  return () => clearInterval(timer);
}

/** Wraps every function of an activities object: permanent errors non-retryable, automatic heartbeats. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  options: { selfHeartbeating?: string[] } = {},
): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        const stop = options.selfHeartbeating?.includes(name) ? () => undefined : keepAlive();
        try {
          return await fn(...args);
        } catch (err) {
          throw toFailure(err);
        } finally {
          stop();
        }
      },
    ]),
  ) as T;
}
