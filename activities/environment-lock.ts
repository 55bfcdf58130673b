// Activities that talk to the environment locks (workflows/environment-lock.ts): releases ask for, renew and
// release a lock through them; the lock workflow asks GitLab about ancestry and Temporal about liveness.
// A lock that ended idle is started again on demand, told which run to inherit its memory from.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { environmentLockId } from '../domain/ids.js';
import { RunwayCommit, RunwayService, RunwayStage } from '../domain/search-attributes.js';
import {
  acquireEnvLockSignal,
  envApprovalWaitSignal,
  releaseEnvLockSignal,
  renewEnvLockSignal,
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

/** Closed or never started: the answer Temporal gives to an update or signal of such a workflow. */
function isClosed(err: unknown): boolean {
  return (
    err instanceof WorkflowNotFoundError || /workflow execution already completed/i.test((err as Error)?.message ?? '')
  );
}

export function environmentLockActivities(deps: EnvLockActivityDeps) {
  const given = Object.entries(deps.lockSettings ?? {}).filter(([, v]) => v !== undefined);
  const settings: EnvLockSettings = { ...DEFAULT_LOCK_SETTINGS, ...Object.fromEntries(given) };

  /**
   * Signals the lock, starting it when no run is open. The new run inherits from the lock's latest run, read
   * before the signal: if that run is still open the start arguments are unused; if it ended in between, it is
   * exactly the run to inherit from.
   */
  async function signalStarting(target: EnvLockTarget, signal: string, arg: unknown): Promise<void> {
    const workflowId = environmentLockId(target.service, target.environment);
    let inheritFrom: string | undefined;
    try {
      inheritFrom = (await deps.temporal.workflow.getHandle(workflowId).describe()).runId;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const initial: EnvLockState = {
      service: target.service,
      environment: target.environment,
      settings,
      queue: [],
      waitingForApproval: [],
      takeovers: [],
      inheritFrom,
    };
    await deps.temporal.workflow.signalWithStart('environmentLockWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [initial],
      signal,
      signalArgs: [arg],
      staticSummary: `lock of ${target.service} in ${target.environment}`,
      // For whoever finds it in the Temporal UI next to the releases.
      staticDetails: [
        `Runway's **environment lock** for ${target.service} in ${target.environment}: not a release.`,
        '',
        'Releases ask it before they bump, sync or roll back this environment; it lets one at a time in, newest',
        'commit first, and ends when idle. Its current details show who holds it and who waits.',
        '',
        'To list only releases: `WorkflowType = "releaseWorkflow"`.',
      ].join('\n'),
    });
  }

  /** Signals the lock if it runs; a lock that ended has nothing to release, renew or forget. */
  async function signalIfRunning(target: EnvLockTarget, send: (workflowId: string) => Promise<void>) {
    try {
      await send(environmentLockId(target.service, target.environment));
    } catch (err) {
      if (!isClosed(err)) throw err;
    }
  }

  return {
    /** Asks for the lock; the answer comes as a signal (`lockGranted`, `lockQueued` or `supersede`). */
    async requestEnvironmentLock(input: EnvLockTarget & { request: EnvLockRequest }): Promise<void> {
      await signalStarting(input, acquireEnvLockSignal.name, input.request);
    },

    async reportEnvironmentApprovalWait(
      input: EnvLockTarget & { request: EnvLockRequest; waiting: boolean },
    ): Promise<void> {
      const arg = { ...input.request, waiting: input.waiting };
      if (input.waiting) await signalStarting(input, envApprovalWaitSignal.name, arg);
      else
        await signalIfRunning(input, (id) => deps.temporal.workflow.getHandle(id).signal(envApprovalWaitSignal, arg));
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
