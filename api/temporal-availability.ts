// Whether Temporal answers, told apart from whether it answers *fast*. Only an unreachable Temporal is an outage:
// a refused connection, UNAVAILABLE, or a GetSystemInfo probe that gets no answer. A call that merely outlives its
// deadline (a query waiting for a busy worker, an update waiting for its handler, a frontend under load) is slow,
// not down: the caller gets TemporalSlowError (answered from what Temporal stores, 202 or 504 — never 503), and
// nothing is remembered against Temporal. Once Temporal was found down, requests in the next second answer 503 at
// once (no background timer: nothing to stop, nothing leaks). /readyz probes with GetSystemInfo.
import { isGrpcServiceError, type Client, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Logger } from 'pino';

/** Longest a request waits on a Temporal read or signal before it looks elsewhere (or answers 504). */
export const REQUEST_DEADLINE_MS = 1_500;
/** Starting a workflow needs no worker; a busy frontend gets longer before the webhook is told 504. */
export const START_DEADLINE_MS = 5_000;
/** Updates (approve, reject) wait for the worker to run the handler; after this, the caller is told 202. */
export const UPDATE_DEADLINE_MS = 5_000;
/** A slow call is checked with a probe started this long after the call, so a dead server is known within 2 s. */
const PROBE_AFTER_MS = 500;
const PROBE_DEADLINE_MS = 1_000;
/** A success this recent makes the probe before an update unnecessary. */
const RECENTLY_UP_MS = 2_000;
/** How long a failure is believed without asking again. */
const DOWN_MEMORY_MS = 1_000;

/** Temporal cannot be reached: 503 + Retry-After. */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/** Temporal is up but did not answer within the request's deadline (busy worker or frontend): never an outage. */
export class TemporalSlowError extends Error {
  override name = 'TemporalSlowError';
}

const CONNECTION_CODES = new Set([14 /* UNAVAILABLE */]);
const DEADLINE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 1 /* CANCELLED: our own abort at the deadline */]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) chain.push(e);
  return chain;
}

/** True for the errors of a Temporal that cannot be reached: refused, reset, UNAVAILABLE. */
export function isConnectionFailure(err: unknown): boolean {
  return causes(err).some(
    (e) =>
      e instanceof TemporalUnavailableError ||
      (isGrpcServiceError(e) && CONNECTION_CODES.has(e.code)) ||
      /connection refused|ECONNREFUSED|ECONNRESET|no connection established|failed to connect/i.test(
        (e as Error).message ?? '',
      ),
  );
}

/** True for a call that ran out of time (ours or gRPC's), which says nothing yet about reachability. */
export function isDeadlineExpiry(err: unknown): boolean {
  return causes(err).some(
    (e) =>
      e instanceof TemporalSlowError ||
      e instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
      (isGrpcServiceError(e) && DEADLINE_CODES.has(e.code)) ||
      /deadline exceeded/i.test((e as Error).message ?? ''),
  );
}

/** True for the errors a caller cannot fix by asking differently: Temporal down or too slow right now. */
export function isTemporalUnavailable(err: unknown): boolean {
  return isConnectionFailure(err) || isDeadlineExpiry(err);
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

  /** One GetSystemInfo probe; concurrent callers share it. Its failure, and only that, marks Temporal down. */
  probe(): Promise<boolean> {
    this.probing ??= this.bounded(() => this.client.workflowService.getSystemInfo({}), PROBE_DEADLINE_MS)
      .then(
        () => this.record(true),
        (err: unknown) => this.record(false, err),
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
   * Runs `fn` with a deadline. A refused connection, or a probe that fails while the call is slow, is
   * TemporalUnavailableError (503); a call that is only slow while the probe answers is TemporalSlowError.
   * `what` names the workflow or operation in the slow error, so the answer says where to look.
   */
  async call<T>(fn: () => Promise<T>, options: { deadlineMs?: number; what?: string } = {}): Promise<T> {
    const deadlineMs = options.deadlineMs ?? REQUEST_DEADLINE_MS;
    if (this.knownDown) throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    // A slow call is checked against a probe started early, so a dead server is a 503 within the deadline plus
    // a little, and a busy one never is.
    let probe: Promise<boolean> | undefined;
    const probeTimer = setTimeout(
      () => {
        probe = this.probe();
      },
      Math.min(PROBE_AFTER_MS, deadlineMs),
    );
    try {
      const result = await this.bounded(fn, deadlineMs);
      this.record(true);
      return result;
    } catch (err) {
      if (isConnectionFailure(err)) {
        this.record(false, err);
        throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
      }
      if (!isDeadlineExpiry(err)) throw err;
      if (!(await (probe ?? this.probe()))) {
        throw new TemporalUnavailableError('Temporal did not answer; try again shortly');
      }
      const what = options.what ? ` (${options.what})` : '';
      throw new TemporalSlowError(`Temporal is up but did not answer within ${deadlineMs} ms${what}; it is busy`);
    } finally {
      clearTimeout(probeTimer);
    }
  }

  /**
   * For an update that waits for the worker to run its handler: a quick probe first (a dead server is a 503, not
   * a long wait), then `fn` with the update deadline. The caller decides what a slow update means (202).
   */
  async slowCall<T>(fn: () => Promise<T>, options: { deadlineMs?: number; what?: string } = {}): Promise<T> {
    if (this.knownDown) throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    if (Date.now() - this.upAt > RECENTLY_UP_MS && !(await this.probe())) {
      throw new TemporalUnavailableError('Temporal is unreachable; try again shortly');
    }
    return this.call(fn, { deadlineMs: options.deadlineMs ?? UPDATE_DEADLINE_MS, what: options.what });
  }

  /**
   * `fn` with a gRPC deadline and an abort at the same time: the gRPC deadline alone is not a bound (the SDK's
   * connection retries UNAVAILABLE with backoff while it reconnects), so the call is also given up on.
   */
  private async bounded<T>(fn: () => Promise<T>, deadlineMs: number): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new TemporalSlowError(`no answer from Temporal within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    try {
      const call = this.client.withAbortSignal(abort.signal, () =>
        this.client.withDeadline(Date.now() + deadlineMs, fn),
      );
      call.catch(() => undefined); // settled by the race below; never an unhandled rejection
      return await Promise.race([call, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
