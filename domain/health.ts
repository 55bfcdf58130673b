// Decides, from one Argo CD Application status, whether a deploy of a commit is done, still going, or failed.
// "Deployed" means: Synced and Healthy at a revision that CONTAINS the commit (equal or a descendant: other
// services keep moving a shared infra branch), and the last completed sync operation, manual or automated,
// succeeded at such a revision. Pure: ancestry answers come in from the infra repository, so the health-wait
// activity and the tests share exactly one definition of "healthy".
import type { AppStatus } from '../activities/ports.js';

export type HealthVerdict =
  { state: 'healthy' } | { state: 'waiting'; reason: string } | { state: 'failed'; reason: string };

/** What `Suspended` (e.g. a paused Argo Rollouts canary) counts as. */
export type SuspendedOutcome = 'wait' | 'healthy' | 'fail';
/** What `Missing` (the app's resources do not exist) counts as; `fail` only after the grace. */
export type MissingOutcome = 'wait' | 'fail';

export interface HealthContext {
  /** The commit being deployed (a bump or a revert). */
  revision: string;
  /** Whether a revision contains `revision`; undefined when not known (yet). */
  contains: (revision: string | undefined) => boolean | undefined;
  /** How long the app has been Degraded (at a revision containing the commit) so far, in ms; 0 when it is not. */
  degradedForMs: number;
  degradedGraceMs: number;
  /** How long it has been Missing so far (same rule), in ms. */
  missingForMs?: number;
  suspended?: SuspendedOutcome;
  missing?: MissingOutcome;
}

export function describeStatus(s: AppStatus): string {
  const parts = [`sync=${s.syncStatus}`, `health=${s.health}`];
  if (s.syncRevision) parts.push(`revision=${s.syncRevision.slice(0, 12)}`);
  if (s.operationPhase) parts.push(`operation=${s.operationPhase}`);
  if (s.operationRevision) parts.push(`operationRevision=${s.operationRevision.slice(0, 12)}`);
  if (s.operationAutomated) parts.push('automated');
  if (s.operationMessage) parts.push(`message="${s.operationMessage}"`);
  if (s.healthMessage) parts.push(`healthMessage="${s.healthMessage}"`);
  return parts.join(' ');
}

/** The revisions whose ancestry the verdict needs. */
export function revisionsToCheck(status: AppStatus): string[] {
  return [...new Set([status.syncRevision, status.operationRevision].filter((r): r is string => !!r))];
}

export function operationInFlight(status: AppStatus): boolean {
  return status.operationPhase === 'Running' || status.operationPhase === 'Terminating';
}

/**
 * Argo CD assesses sync and health in its reconcile loop, not when an operation ends: until the controller has
 * reconciled once after the last operation finished, both still say what the reconcile before it saw (the old
 * pods). `argocd app wait` counts that window as the operation still in progress (`checkAppWaitConditions`:
 * `status.reconciledAt` missing or before `status.operationState.finishedAt`); so does Runway.
 */
export function awaitingReconcile(status: AppStatus): boolean {
  if (!status.operationFinishedAt) return false;
  if (!status.reconciledAt) return true;
  return Date.parse(status.reconciledAt) < Date.parse(status.operationFinishedAt);
}

/**
 * Whether a reconcile certainly came after the last operation. Argo CD's times are whole seconds, so an equal
 * `reconciledAt` may be the reconcile just before the operation ended: enough to believe health (as upstream
 * does), not to decide that a new sync is needed, where believing a stale OutOfSync costs a second sync.
 */
export function reconciledAfterOperation(status: AppStatus): boolean {
  if (!status.operationFinishedAt) return true;
  if (!status.reconciledAt) return false;
  return Date.parse(status.reconciledAt) > Date.parse(status.operationFinishedAt);
}

export function evaluateHealth(status: AppStatus, ctx: HealthContext): HealthVerdict {
  const short = ctx.revision.slice(0, 12);
  const opContains = ctx.contains(status.operationRevision);
  const failedPhase = status.operationPhase === 'Failed' || status.operationPhase === 'Error';
  // A failed sync of a revision that contains the commit is this deploy failing; one of an older revision
  // (someone else's, or before the bump) only means a new sync is needed.
  if (failedPhase && (opContains === true || !status.operationRevision)) {
    return {
      state: 'failed',
      reason: `sync operation ${status.operationPhase}: ${status.operationMessage ?? 'no message'}`,
    };
  }
  if (operationInFlight(status)) return { state: 'waiting', reason: describeStatus(status) };
  if (awaitingReconcile(status)) {
    return {
      state: 'waiting',
      reason: `Argo CD has not reconciled since the operation finished at ${status.operationFinishedAt}: sync and health are from before it (${describeStatus(status)})`,
    };
  }
  if (ctx.contains(status.syncRevision) !== true) {
    return {
      state: 'waiting',
      reason: `waiting for a revision containing ${short} (${describeStatus(status)})`,
    };
  }
  if (status.operationPhase !== 'Succeeded' || opContains !== true) {
    return {
      state: 'waiting',
      reason: `no successful sync containing ${short} yet (${describeStatus(status)})`,
    };
  }
  if (status.health === 'Degraded') {
    if (ctx.degradedForMs >= ctx.degradedGraceMs) {
      return { state: 'failed', reason: `application Degraded: ${status.healthMessage ?? 'no message'}` };
    }
    return { state: 'waiting', reason: `Degraded for ${ctx.degradedForMs} ms (grace ${ctx.degradedGraceMs} ms)` };
  }
  // OutOfSync here means the branch moved past a revision that changed this app again: wait for that sync.
  if (status.syncStatus !== 'Synced') return { state: 'waiting', reason: describeStatus(status) };
  if (status.health === 'Suspended') {
    const outcome = ctx.suspended ?? 'wait';
    if (outcome === 'healthy') return { state: 'healthy' };
    if (outcome === 'fail') {
      return { state: 'failed', reason: `application Suspended: ${status.healthMessage ?? 'no message'}` };
    }
    return { state: 'waiting', reason: `Suspended (waiting, as configured): ${describeStatus(status)}` };
  }
  if (status.health === 'Missing') {
    const forMs = ctx.missingForMs ?? 0;
    if ((ctx.missing ?? 'wait') === 'fail' && forMs >= ctx.degradedGraceMs) {
      return { state: 'failed', reason: `application Missing for ${forMs} ms: its resources do not exist` };
    }
    return { state: 'waiting', reason: describeStatus(status) };
  }
  // Unknown (not assessed yet), Progressing: keep waiting; the overall health timeout bounds the wait.
  if (status.health !== 'Healthy') return { state: 'waiting', reason: describeStatus(status) };
  return { state: 'healthy' };
}
