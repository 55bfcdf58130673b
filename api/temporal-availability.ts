// Whether Temporal answers. Every call a request makes carries a deadline, so no request waits on a dead server
// longer than REQUEST_DEADLINE_MS; once a call found Temporal down, requests in the next second answer 503 at once
// (no background timer: nothing to stop, nothing leaks). /readyz probes with GetSystemInfo.
import { isGrpcServiceError, type Client, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Logger } from 'pino';

/** Longest a request waits on Temporal before answering 503. */
export const REQUEST_DEADLINE_MS = 1_500;
/**
 * Updates (approve, reject) wait for the worker to run the handler, which can take longer than a read under load;
 * they get this deadline, after a probe bounded like every request (see slowCall).
 */
export const UPDATE_DEADLINE_MS = 10_000;
/** A success this recent makes the probe before a slow call unnecessary. */
const RECENTLY_UP_MS = 2_000;
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
  private upAt = 0;
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
    this.probing ??= this.call(() => this.client.workflowService.getSystemInfo({}), PROBE_DEADLINE_MS, true)
      .then(
        () => true,
        () => false, // call() has recorded why
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  private record(up: boolean, err?: unknown): boolean {
    if (up) this.upAt = Date.now();
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

  /**
   * For calls that may legitimately take longer than a request deadline (an update waiting for its handler):
   * Temporal's reachability is checked first within the usual bound, so a dead server is still a quick 503.
   */
  async slowCall<T>(fn: () => Promise<T>, deadlineMs = UPDATE_DEADLINE_MS): Promise<T> {
    if (Date.now() - this.upAt > RECENTLY_UP_MS && !(await this.probe())) {
      throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    }
    return this.call(fn, deadlineMs);
  }

  /** Runs `fn` with a deadline; a Temporal that is down (known or found out now) becomes TemporalUnavailableError. */
  async call<T>(fn: () => Promise<T>, deadlineMs = REQUEST_DEADLINE_MS, probing = false): Promise<T> {
    if (this.knownDown && !probing) throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    // The gRPC deadline alone is not a bound (the SDK's connection retries UNAVAILABLE with backoff while it
    // reconnects), so the call is also aborted, and given up on, when the time is over.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new TemporalUnavailableError(`no answer from Temporal within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    try {
      const call = this.client.withAbortSignal(abort.signal, () =>
        this.client.withDeadline(Date.now() + deadlineMs, fn),
      );
      call.catch(() => undefined); // settled by the race below; never an unhandled rejection
      const result = await Promise.race([call, expired]);
      this.record(true);
      return result;
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      this.record(false, err);
      throw new TemporalUnavailableError('Temporal did not answer in time; try again shortly');
    } finally {
      clearTimeout(timer);
    }
  }
}
