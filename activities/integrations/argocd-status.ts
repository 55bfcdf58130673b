// What the REST and the Kubernetes Argo CD drivers share: reading an Application object (both APIs return
// the same JSON), the permanent error type, and waiting out "another operation is already in progress".
import type { AppStatus, HealthStatus, OperationPhase, SyncStatus } from '../ports.js';

/** 401/403/404 and other answers a retry cannot change; the activity layer makes it non-retryable. */
export class PermanentArgoCdError extends Error {
  override name = 'PermanentArgoCdError';
}

type Json = Record<string, unknown>;

const SYNC: readonly SyncStatus[] = ['Synced', 'OutOfSync', 'Unknown'];
const HEALTH: readonly HealthStatus[] = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];
const PHASES: readonly OperationPhase[] = ['Running', 'Terminating', 'Failed', 'Error', 'Succeeded'];

function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  return allowed.find((v) => v === value);
}

/** `revision`, or the first of `revisions` for multi-source applications. */
function revisionOf(holder: Json): string | undefined {
  const revisions = holder.revisions;
  return str(holder.revision) ?? (Array.isArray(revisions) ? str(revisions[0]) : undefined);
}

function requestedRevision(operation: Json): string | undefined {
  return revisionOf(obj(operation.sync));
}

/**
 * The operation that blocks a new sync, if any: `operation` is set until the controller finishes it, and a
 * Running/Terminating `operationState` is still in flight.
 */
export function activeOperation(app: unknown): { revision?: string } | null {
  const root = obj(app);
  const state = obj(obj(root.status).operationState);
  const phase = oneOf(PHASES, state.phase);
  if (root.operation != null) return { revision: requestedRevision(obj(root.operation)) };
  if (phase === 'Running' || phase === 'Terminating') {
    return { revision: revisionOf(obj(state.syncResult)) ?? requestedRevision(obj(state.operation)) };
  }
  return null;
}

export function toAppStatus(app: unknown): AppStatus {
  const root = obj(app);
  const status = obj(root.status);
  const sync = obj(status.sync);
  const health = obj(status.health);
  const state = obj(status.operationState);

  const result: AppStatus = {
    syncStatus: oneOf(SYNC, sync.status) ?? 'Unknown',
    syncRevision: revisionOf(sync),
    health: oneOf(HEALTH, health.status) ?? 'Unknown',
    healthMessage: str(health.message),
    operationPhase: oneOf(PHASES, state.phase),
    operationRevision: revisionOf(obj(state.syncResult)) ?? requestedRevision(obj(state.operation)),
    operationMessage: str(state.message),
  };

  // A requested operation the controller has not picked up yet sits next to the previous, finished
  // operationState (a merge patch does not clear it). Report the new one as Running, so a stale Failed for
  // the same revision is not read as this sync failing.
  const pending =
    root.operation != null && result.operationPhase !== 'Running' && result.operationPhase !== 'Terminating';
  if (pending) {
    result.operationPhase = 'Running';
    result.operationRevision = requestedRevision(obj(root.operation));
    result.operationMessage = 'operation requested, waiting for the application controller';
  }

  for (const key of Object.keys(result) as (keyof AppStatus)[]) if (result[key] === undefined) delete result[key];
  return result;
}

export interface BusyWaitOptions {
  /** Give up (with a retryable error) after this long. */
  deadlineMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BUSY_WAIT: BusyWaitOptions = { deadlineMs: 60_000, initialDelayMs: 500, maxDelayMs: 5_000 };

/**
 * Repeats `attempt` until it reports `done`, sleeping with a small exponential backoff while it reports the
 * application busy with someone else's operation. Past the deadline it throws a plain (retryable) Error.
 */
export async function untilIdle(
  application: string,
  wait: BusyWaitOptions,
  attempt: () => Promise<'done' | { busyWith?: string }>,
): Promise<void> {
  const deadline = Date.now() + wait.deadlineMs;
  for (let round = 0; ; round++) {
    const outcome = await attempt();
    if (outcome === 'done') return;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const other = outcome.busyWith ? ` (for revision ${outcome.busyWith})` : '';
      throw new Error(
        `Argo CD application ${application}: another operation is still in progress${other} after ${wait.deadlineMs} ms`,
      );
    }
    const delay = Math.min(wait.maxDelayMs, wait.initialDelayMs * 2 ** round, remaining);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
