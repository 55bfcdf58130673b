// The per-service lock of releases started before environment locks (workflows/environment-lock.ts):
// at most one release of a service bumps/syncs/rolls back at a time (FIFO). When a newer release takes the
// lock, older releases still waiting for approval are told they are superseded. Kept so those releases
// finish; an idle one now ends, and a failed liveness check no longer ends it.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { isPatched } from './patching.js';
import type { RunwayActivities } from '../activities/index.js';
import {
  acquireLockSignal,
  approvalWaitSignal,
  lockGrantedSignal,
  lockStateQuery,
  releaseLockSignal,
  supersedeSignal,
  type ServiceLockState,
} from './messages.js';

const { isWorkflowRunning } = proxyActivities<RunwayActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

export async function serviceLockWorkflow(initial: ServiceLockState): Promise<void> {
  const state: ServiceLockState = {
    ...initial,
    queue: [...initial.queue],
    waitingForApproval: [...initial.waitingForApproval],
  };
  let regrant = false;

  setHandler(lockStateQuery, () => state);
  setHandler(acquireLockSignal, (request) => {
    if (state.holder?.releaseId === request.releaseId)
      regrant = true; // a retried request: grant again
    else if (!state.queue.some((q) => q.releaseId === request.releaseId)) state.queue.push(request);
  });
  setHandler(releaseLockSignal, ({ releaseId }) => {
    if (state.holder?.releaseId === releaseId) state.holder = undefined;
    state.queue = state.queue.filter((q) => q.releaseId !== releaseId);
  });
  setHandler(approvalWaitSignal, (report) => {
    state.waitingForApproval = state.waitingForApproval.filter((w) => w.releaseId !== report.releaseId);
    if (report.waiting) state.waitingForApproval.push(report);
  });

  for (;;) {
    setCurrentDetails(lockDetails(state));
    const woke = await condition(() => regrant || (!state.holder && state.queue.length > 0), state.livenessCheckMs);
    if (woke) {
      if (!state.holder) state.holder = state.queue.shift();
      regrant = false;
      const holder = state.holder!;
      try {
        await getExternalWorkflowHandle(holder.releaseId).signal(lockGrantedSignal, {
          environment: holder.environment,
        });
      } catch {
        state.holder = undefined; // the release is gone; move on
        continue;
      }
      const older = state.waitingForApproval.filter(
        (w) => w.releaseId !== holder.releaseId && w.releaseStartedAt < holder.releaseStartedAt,
      );
      state.waitingForApproval = state.waitingForApproval.filter((w) => !older.includes(w));
      for (const w of older) {
        await getExternalWorkflowHandle(w.releaseId)
          .signal(supersedeSignal, { by: holder.releaseId })
          .catch(() => undefined);
      }
    } else {
      try {
        await dropDeparted(state);
      } catch {
        // Temporal could not say (e.g. its frontend was down): ask again at the next check.
      }
      const idle = !state.holder && state.queue.length === 0 && state.waitingForApproval.length === 0;
      if (idle && isPatched('service-lock-idle-end')) {
        await condition(allHandlersFinished);
        if (!state.holder && state.queue.length === 0 && state.waitingForApproval.length === 0) return;
      }
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await condition(() => true);
      await continueAsNew<typeof serviceLockWorkflow>(state);
    }
  }
}

/** The Temporal UI's current details: who holds the lock, who waits for it, who waits for approval. */
export function lockDetails(state: ServiceLockState): string {
  const release = (id: string, environment?: string) => `\`${id}\`${environment ? ` (${environment})` : ''}`;
  return [
    `**Service lock for ${state.service}** — not a release; it lets one release at a time change an environment.`,
    state.holder ? `Held by ${release(state.holder.releaseId, state.holder.environment)}.` : 'Free.',
    state.queue.length
      ? `Waiting for the lock:\n${state.queue.map((q) => `- ${release(q.releaseId, q.environment)}`).join('\n')}`
      : '',
    state.waitingForApproval.length
      ? `Waiting for approval:\n${state.waitingForApproval.map((w) => `- ${release(w.releaseId)}`).join('\n')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** A release that was terminated never releases the lock: drop holders and waiters that are not running. */
async function dropDeparted(state: ServiceLockState): Promise<void> {
  const ids = new Set([
    ...(state.holder ? [state.holder.releaseId] : []),
    ...state.queue.map((q) => q.releaseId),
    ...state.waitingForApproval.map((w) => w.releaseId),
  ]);
  for (const id of ids) {
    if (await isWorkflowRunning(id)) continue;
    if (state.holder?.releaseId === id) state.holder = undefined;
    state.queue = state.queue.filter((q) => q.releaseId !== id);
    state.waitingForApproval = state.waitingForApproval.filter((w) => w.releaseId !== id);
  }
}
