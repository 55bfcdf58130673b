// Whether Temporal answers. Every call a request makes carries a deadline, so no request waits on a dead server
// longer than REQUEST_DEADLINE_MS; once a call found Temporal down, requests in the next second answer 503 at once
// (no background timer: nothing to stop, nothing leaks). /readyz probes with GetSystemInfo.
import { isGrpcServiceError, type Client, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

/** Longest a request waits on Temporal before answering 503. */
export const REQUEST_DEADLINE_MS = 1_800;
/** How long a failure is believed without asking again. */
const DOWN_MEMORY_MS = 1_000;
const PROBE_DEADLINE_MS = 900;

export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

const UNAVAILABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */, 1 /* CANCELLED */]);

/** True for the errors a down, unreachable or too slow Temporal frontend produces. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TemporalUnavailableError || e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) return true;
    if (/deadline exceeded|connection refused|ECONNREFUSED|no connection established/i.test((e as Error).message ?? ''))
      return true;
  }
  return false;
}

export class TemporalAvailability {
  private up: boolean | undefined;
  private downSince = 0;
  private lastError = 'not probed yet';
  private probing?: Promise<boolean>;

  constructor(
    private readonly client: Client,
    private readonly logger?: Logger,
  ) {}

  /** Known down, and recently enough not to ask again. */
  private get knownDown(): boolean {
    return this.up === false && Date.now() - this.downSince < DOWN_MEMORY_MS;
  }

  get lastProblem(): string {
    return this.lastError;
  }

  /** One probe; concurrent callers share it. */
  probe(): Promise<boolean> {
    this.probing ??= this.client
      .withDeadline(Date.now() + PROBE_DEADLINE_MS, () => this.client.workflowService.getSystemInfo({}))
      .then(
        () => this.record(true),
        (err: unknown) => this.record(false, err),
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  private record(up: boolean, err?: unknown): boolean {
    if (!up) {
      this.lastError = err instanceof Error ? err.message.slice(0, 200) : String(err);
      this.downSince = Date.now();
    }
    if (this.up !== up) {
      if (up) this.logger?.info('temporal reachable');
      else if (this.up !== undefined) this.logger?.warn({ error: this.lastError }, 'temporal unreachable');
    }
    this.up = up;
    return up;
  }

  /** Runs `fn` with a deadline; a Temporal that is down (known or found out now) becomes TemporalUnavailableError. */
  async call<T>(fn: () => Promise<T>, deadlineMs = REQUEST_DEADLINE_MS): Promise<T> {
    if (this.knownDown) throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    try {
      const result = await this.client.withDeadline(Date.now() + deadlineMs, fn);
      this.record(true);
      return result;
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      this.record(false, err);
      throw new TemporalUnavailableError('Temporal did not answer in time; try again shortly');
    }
  }

  /** Hono middleware for routes that need Temporal: 503 at once while it is known to be down. */
  guard(): MiddlewareHandler {
    return async (c, next) => {
      if (this.knownDown) {
        c.header('Retry-After', '5');
        return c.json(
          { error: { code: 'temporal_unavailable', message: 'Temporal is unreachable; try again shortly' } },
          503,
        );
      }
      await next();
    };
  }
}
