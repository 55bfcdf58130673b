// Waits until Argo CD reports the application Synced and Healthy at a revision that contains `revision`
// (the bump or the revert), with a successful sync containing it. Along the way it keeps the deploy moving:
// an auto-sync app whose controller has not started a sync within `autoSyncTimeoutMs` gets one without a
// revision; a manual app whose sync was refused as busy (someone else's operation) is synced again once that
// operation ends; a sync window is waited out. Heartbeats its progress (deadline, ancestry answers, the last
// status), so a retry after a worker crash resumes with the same deadline and asks the repository nothing twice.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  awaitingReconcile,
  describeStatus,
  reconciledAfterOperation,
  evaluateHealth,
  operationInFlight,
  revisionsToCheck,
  type MissingOutcome,
  type SuspendedOutcome,
} from '../domain/health.js';
import { isPermanentErrorName } from '../domain/errors.js';
import type { InfraRepoLocation } from '../domain/types.js';
import type { AppStatus, ArgoAppRef, ArgoCdPort, InfraRepoPort } from './ports.js';
import { SYNC_WINDOW_BLOCKED } from '../integrations/argocd-status.js';
import { syncRevisionFor } from './argocd-sync.js';
import { isCommitSha } from '../domain/ids.js';

export interface HealthWaitInput {
  application: string;
  /** The commit being deployed: a bump or a revert. */
  revision: string;
  timeoutMs: number;
  degradedGraceMs: number;
  pollIntervalMs: number;
  /** Where the app lives (namespace, project, instance); default: by name on the default instance. */
  app?: Omit<ArgoAppRef, 'name'> & { instance?: string };
  /** The infra repository: answers "does this revision contain the commit?". Absent: equality only. */
  infra?: InfraRepoLocation;
  /** Auto-sync apps: sync without a revision when the controller has not started one within this. */
  autoSyncTimeoutMs?: number;
  suspended?: SuspendedOutcome;
  missing?: MissingOutcome;
  /** The workflow already announced a sync window block: keep waiting instead of returning. */
  blockAnnounced?: boolean;
}

export interface HealthWaitResult {
  status: string;
  /** Returned (once) when a sync window blocks the deploy, so the workflow can say so; then called again. */
  blocked?: { message: string; until?: string };
}

interface HealthProgress {
  deadline: number;
  startedAt: number;
  degradedSince?: number;
  missingSince?: number;
  lastSyncAt?: number;
  syncs: number;
  last?: string;
  /** The operation end (finishedAt) a refresh was asked for, so the window after it closes soon. */
  refreshedFor?: string;
  /** revision → contains the commit. */
  ancestry: Record<string, boolean>;
}

const ANCESTRY_CACHE = 256;
export const DEFAULT_AUTO_SYNC_TIMEOUT_MS = 30_000;

export async function waitForHealth(
  argocd: ArgoCdPort,
  input: HealthWaitInput,
  infra?: InfraRepoPort,
): Promise<HealthWaitResult> {
  const ctx = Context.current();
  const resumed = ctx.info.heartbeatDetails as Partial<HealthProgress> | undefined;
  const now0 = Date.now();
  const progress: HealthProgress = {
    deadline: resumed?.deadline ?? now0 + input.timeoutMs,
    startedAt: resumed?.startedAt ?? now0,
    syncs: resumed?.syncs ?? 0,
    ancestry: resumed?.ancestry ?? {},
    ...(resumed?.lastSyncAt ? { lastSyncAt: resumed.lastSyncAt } : {}),
    ...(resumed?.refreshedFor ? { refreshedFor: resumed.refreshedFor } : {}),
  };
  const ref: ArgoAppRef = {
    name: input.application,
    namespace: input.app?.namespace,
    project: input.app?.project,
    infraRepo: input.infra?.repository,
  };
  const autoSyncTimeoutMs = input.autoSyncTimeoutMs ?? DEFAULT_AUTO_SYNC_TIMEOUT_MS;
  // Never sync again faster than the controller can show the previous request.
  const resyncGapMs = Math.max(input.pollIntervalMs * 4, 1_000);
  let refresh: 'normal' | undefined = 'normal';
  let lastRefreshAsk = 0;
  // A slow call (a blocking refresh, a git fetch for ancestry) must not look like a lost worker.
  const beatEvery = Math.max(Math.floor((ctx.info.heartbeatTimeoutMs ?? 30_000) / 3), 50);
  const beat = setInterval(() => ctx.heartbeat(progress), beatEvery);
  try {
    return await watch();
  } finally {
    clearInterval(beat);
  }

  async function watch(): Promise<HealthWaitResult> {
    const contains = async (candidate: string | undefined): Promise<boolean | undefined> => {
      if (!candidate) return undefined;
      if (candidate === input.revision) return true;
      // A branch name in a requested operation is not an answer yet: its resolved commit will be.
      if (!isCommitSha(candidate)) return undefined;
      const known = progress.ancestry[candidate];
      if (known !== undefined) return known;
      if (!infra || !input.infra) return false;
      const answer = await infra.isAncestor(input.infra, input.revision, candidate);
      const keys = Object.keys(progress.ancestry);
      if (keys.length >= ANCESTRY_CACHE) delete progress.ancestry[keys[0]!];
      progress.ancestry[candidate] = answer;
      return answer;
    };

    for (;;) {
      let status: AppStatus | undefined;
      try {
        status = await argocd.getStatus(ref, refresh ? { refresh } : undefined);
        refresh = undefined;
        for (const r of revisionsToCheck(status)) await contains(r);
      } catch (err) {
        if (err instanceof Error && isPermanentErrorName(err.name)) throw err;
        status = undefined;
        progress.last = `status read failed: ${(err as Error).message}`;
      }
      if (status) {
        const now = Date.now();
        const answers = (r: string | undefined) =>
          r ? (r === input.revision ? true : progress.ancestry[r]) : undefined;
        // Health and sync from before the last operation say nothing about it (see awaitingReconcile).
        const stale = awaitingReconcile(status);
        const ours = !stale && answers(status.syncRevision) === true && answers(status.operationRevision) === true;
        progress.degradedSince = status.health === 'Degraded' && ours ? (progress.degradedSince ?? now) : undefined;
        progress.missingSince = status.health === 'Missing' && ours ? (progress.missingSince ?? now) : undefined;
        const verdict = evaluateHealth(status, {
          revision: input.revision,
          contains: answers,
          degradedForMs: progress.degradedSince ? now - progress.degradedSince : 0,
          missingForMs: progress.missingSince ? now - progress.missingSince : 0,
          degradedGraceMs: input.degradedGraceMs,
          suspended: input.suspended,
          missing: input.missing,
        });
        progress.last = describeStatus(status);
        if (verdict.state === 'healthy') return { status: progress.last };
        if (verdict.state === 'failed') {
          throw ApplicationFailure.create({
            type: 'HealthCheckFailed',
            nonRetryable: true,
            message: `${input.application}: ${verdict.reason}`,
            details: [progress.last],
          });
        }

        if (stale) {
          // Ask once per operation for the reconcile that ends the window (the controller also queues one).
          if (progress.refreshedFor !== status.operationFinishedAt) {
            progress.refreshedFor = status.operationFinishedAt;
            refresh = 'normal';
          }
        } else if (operationInFlight(status) && SYNC_WINDOW_BLOCKED.test(status.operationMessage ?? '')) {
          // The Kubernetes route has no window check of its own: the controller keeps the operation Running
          // with "Sync operation blocked by sync window" (SyncAppState).
          if (!input.blockAnnounced) {
            const until = await argocd.syncWindowEnd?.(ref).catch(() => undefined);
            return { status: progress.last, blocked: { message: status.operationMessage!, until } };
          }
        } else if (!operationInFlight(status) && needsSync(status, answers) && !reconciledAfterOperation(status)) {
          // Reconciled in the very second the operation ended: ask for a later look before syncing again.
          if (now - lastRefreshAsk >= resyncGapMs) {
            lastRefreshAsk = now;
            refresh = 'normal';
          }
        } else if (!operationInFlight(status) && needsSync(status, answers)) {
          const sinceStart = now - progress.startedAt;
          const sinceSync = progress.lastSyncAt ? now - progress.lastSyncAt : Infinity;
          // Auto-sync: the controller's own sync is the normal path; ours (without a revision) is the fallback.
          const due = status.automated
            ? sinceStart >= autoSyncTimeoutMs && sinceSync >= autoSyncTimeoutMs
            : sinceSync >= resyncGapMs;
          if (due) {
            const outcome = await argocd.sync(ref, syncRevisionFor(status, input.revision, input.infra?.branch));
            progress.lastSyncAt = Date.now();
            progress.syncs += 1;
            if (outcome.state === 'blocked' && !input.blockAnnounced) {
              return { status: progress.last, blocked: { message: outcome.message, until: outcome.until } };
            }
            if (status.automated) refresh = 'normal';
          }
        }
      }
      ctx.heartbeat(progress);
      if (Date.now() >= progress.deadline) {
        throw ApplicationFailure.create({
          type: 'HealthTimeout',
          nonRetryable: true,
          message: `${input.application} not healthy at a revision containing ${input.revision.slice(0, 12)} within ${input.timeoutMs} ms; last seen: ${progress.last ?? 'nothing'}`,
        });
      }
      await ctx.sleep(Math.min(input.pollIntervalMs, Math.max(progress.deadline - Date.now(), 1)));
    }
  }
}

/** No operation runs and the last one did not succeed at a revision containing the commit: a sync is needed. */
function needsSync(status: AppStatus, contains: (r: string | undefined) => boolean | undefined): boolean {
  if (status.operationPhase === 'Succeeded' && contains(status.operationRevision) === true) {
    return status.syncStatus === 'OutOfSync' && contains(status.syncRevision) === true && !status.automated;
  }
  return true;
}
