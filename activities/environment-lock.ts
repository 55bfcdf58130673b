// Activities that talk to the environment locks (workflows/environment-lock.ts): releases ask for, renew and
// release a lock through them; the lock workflow asks GitLab about ancestry and Temporal about liveness.
// A lock that ended idle is started again on demand, told which run to inherit its memory from.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { environmentLockId } from '../domain/ids.js';
import { RunwayCommit, RunwayService, RunwayStage } from '../domain/search-attributes.js';
import {
  acquireEnvLockUpdate,
  envApprovalWaitUpdate,
  releaseEnvLockSignal,
  renewEnvLockSignal,
  type EnvLockAnswer,
  type EnvLockRequest,
  type EnvLockResult,
  type EnvLockSettings,
  type EnvLockState,
} from '../workflows/messages.js';

export const DEFAULT_LOCK_SETTINGS: EnvLockSettings = {
  leaseMs: 5 * 60_000,
  livenessCheckMs: 30_000,
  idleMs: 10 * 60_000,
};

export interface EnvLockActivityDeps {
  temporal: Client;
  taskQueue: string;
  lockSettings?: Partial<EnvLockSettings>;
}

export interface EnvLockTarget {
  service: string;
  environment: string;
}

/**
 * The lock's answer, or `pending` when it takes longer than `ms`: a local activity must not hold the release's
 * workflow task open long enough for the SDK to heartbeat it (80 % of the task timeout), since every heartbeat
 * is one more workflow task. The release then asks again from a regular activity, which may wait.
 */
async function within<R>(ms: number | undefined, answer: Promise<R>): Promise<R | { outcome: 'pending' }> {
  if (ms === undefined) return answer;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ outcome: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'pending' }), ms);
  });
  answer.catch(() => undefined); // an answer after the deadline is dropped (the lock decides the same again)
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closed or never started: the answer Temporal gives to an update or signal of such a workflow. */
function isClosed(err: unknown): boolean {
  return (
    err instanceof WorkflowNotFoundError || /workflow execution already completed/i.test((err as Error)?.message ?? '')
  );
}

export function environmentLockActivities(deps: EnvLockActivityDeps) {
  const settings: EnvLockSettings = { ...DEFAULT_LOCK_SETTINGS, ...deps.lockSettings };

  /** Starts the lock if no run is open; a new run inherits from the last closed one. */
  async function ensureRunning({ service, environment }: EnvLockTarget): Promise<void> {
    const workflowId = environmentLockId(service, environment);
    let inheritFrom: string | undefined;
    try {
      const description = await deps.temporal.workflow.getHandle(workflowId).describe();
      if (description.status.name === 'RUNNING') return;
      inheritFrom = description.runId;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const initial: EnvLockState = {
      service,
      environment,
      settings,
      queue: [],
      waitingForApproval: [],
      takeovers: [],
      inheritFrom,
    };
    // USE_EXISTING: a run someone else started a moment ago is just as good.
    await deps.temporal.workflow.start('environmentLockWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [initial],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `lock of ${service} in ${environment}`,
    });
  }

  /** Sends an update to the lock, starting it when it is not running (a run may end idle at any moment). */
  async function update<R>(target: EnvLockTarget, send: (workflowId: string) => Promise<R>): Promise<R> {
    const workflowId = environmentLockId(target.service, target.environment);
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(workflowId);
      } catch (err) {
        if (!isClosed(err) || attempt >= 5) throw err;
      }
      await ensureRunning(target);
    }
  }

  /** Signals the lock if it runs; a lock that ended has nothing to release or renew. */
  async function signalIfRunning(target: EnvLockTarget, send: (workflowId: string) => Promise<void>) {
    try {
      await send(environmentLockId(target.service, target.environment));
    } catch (err) {
      if (!isClosed(err)) throw err;
    }
  }

  async function reportApprovalWait(
    input: EnvLockTarget & { request: EnvLockRequest; waiting: boolean },
  ): Promise<{ supersededBy?: string }> {
    const send = (id: string) =>
      deps.temporal.workflow
        .getHandle(id)
        .executeUpdate(envApprovalWaitUpdate, { args: [{ ...input.request, waiting: input.waiting }] });
    if (input.waiting) return update(input, send);
    try {
      return await send(environmentLockId(input.service, input.environment));
    } catch (err) {
      if (isClosed(err)) return {};
      throw err;
    }
  }

  return {
    /** Asks for the lock; with `answerWithinMs`, answers `pending` when the lock is slower than that. */
    async acquireEnvironmentLock(
      input: EnvLockTarget & { request: EnvLockRequest; answerWithinMs?: number },
    ): Promise<EnvLockAnswer | { outcome: 'pending' }> {
      return within(
        input.answerWithinMs,
        update(input, (id) =>
          deps.temporal.workflow.getHandle(id).executeUpdate(acquireEnvLockUpdate, { args: [input.request] }),
        ),
      );
    },

    async reportEnvironmentApprovalWait(
      input: EnvLockTarget & { request: EnvLockRequest; waiting: boolean; answerWithinMs?: number },
    ): Promise<{ supersededBy?: string } | { outcome: 'pending' }> {
      return within(input.answerWithinMs, reportApprovalWait(input));
    },

    async releaseEnvironmentLock(input: EnvLockTarget & { releaseId: string; handBack?: boolean }): Promise<void> {
      await signalIfRunning(input, (id) =>
        deps.temporal.workflow
          .getHandle(id)
          .signal(releaseEnvLockSignal, { releaseId: input.releaseId, handBack: input.handBack }),
      );
    },

    async renewEnvironmentLock(input: EnvLockTarget & { releaseId: string }): Promise<void> {
      await signalIfRunning(input, (id) =>
        deps.temporal.workflow.getHandle(id).signal(renewEnvLockSignal, { releaseId: input.releaseId }),
      );
    },

    /**
     * Releases of a service still waiting for their image (stage `image`), from Temporal's visibility store
     * (eventually consistent: one missed here is superseded when it asks for the lock). At most `limit`.
     */
    async releasesStillBuilding(input: {
      service: string;
      limit?: number;
    }): Promise<{ releaseId: string; sha: string; releaseStartedAt: number }[]> {
      const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
      const query = [
        `WorkflowType = "releaseWorkflow"`,
        `ExecutionStatus = "Running"`,
        `${RunwayService.name} = ${quote(input.service)}`,
        `${RunwayStage.name} = "image"`,
      ].join(' AND ');
      const found: { releaseId: string; sha: string; releaseStartedAt: number }[] = [];
      for await (const info of deps.temporal.workflow.list({ query, pageSize: input.limit ?? 50 })) {
        const sha = info.typedSearchAttributes.get(RunwayCommit);
        if (sha) found.push({ releaseId: info.workflowId, sha, releaseStartedAt: info.startTime.getTime() });
        if (found.length >= (input.limit ?? 50)) break;
      }
      return found;
    },

    /** The result of a lock's ended run (null when it failed or was terminated: nothing to inherit). */
    async previousLockResult(input: { workflowId: string; runId: string }): Promise<EnvLockResult | null> {
      const handle = deps.temporal.workflow.getHandle(input.workflowId, input.runId);
      const description = await handle.describe();
      if (description.status.name !== 'COMPLETED') return null;
      return (await handle.result()) as EnvLockResult;
    },
  };
}
