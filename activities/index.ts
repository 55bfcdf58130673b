// createActivities(deps): every activity Runway's workflows call, built from narrow ports so tests
// and the sandbox can hand in fakes. Each activity is idempotent: a retry never double-commits,
// double-deploys or double-posts.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ImageRef, InfraRepoLocation } from '../domain/types.js';
import { serviceLockId } from '../domain/ids.js';
import { environmentLockActivities } from './environment-lock.js';
import type { EnvLockSettings } from '../workflows/messages.js';
import { earlierAttemptMayHaveWritten } from './earlier-attempt.js';
import { withFailureMapping } from './failures.js';
import { waitForHealth, type HealthWaitInput, type HealthWaitResult } from './health-wait.js';
import { startDeploy, type SyncApplicationInput, type SyncApplicationResult } from './argocd-sync.js';
import { PermanentError } from '../domain/errors.js';
import { evaluateChecks, type EvaluateChecksInput } from './verify.js';
import { canaryActivities, type RolloutPorts } from './canary.js';
import { checkDeployWindow, type WindowCheckInput } from './windows.js';
import type { PrometheusPort } from '../integrations/prometheus.js';
import { releaseNotes, type ReleaseNotesInput } from './release-notes.js';
import { watchActivities, type WatchDeps } from './watch.js';
import { withActivityLogging } from '../platform/activity-logging.js';
import { releaseMetrics, type ReleaseMetrics } from '../platform/release-metrics.js';
import { errorFields } from '../platform/scrub.js';
import type {
  ArgoCdPort,
  DeploymentStatus,
  GitLabPort,
  InfraRepoPort,
  NotifierPort,
  PipelineInfo,
  ReleaseNotesPort,
  RegistryPort,
  ReleaseNotification,
  SetImageRequest,
  SetImageResult,
} from './ports.js';

export interface ActivityDeps {
  registry: RegistryPort;
  gitlab: GitLabPort;
  /** The infra repo driver for a location (`gitlab`, `git` or `memory`). */
  infra: (location: InfraRepoLocation) => InfraRepoPort;
  /** The default Argo CD instance. */
  argocd: ArgoCdPort;
  /** Further named Argo CD instances (e.g. one per cluster); environments name theirs. */
  argocdInstances?: Record<string, ArgoCdPort>;
  notifier: NotifierPort;
  /** Used only to talk to the lock workflows. */
  temporal: Client;
  taskQueue: string;
  /** Lease, liveness-check and idle timings of new environment locks (defaults: activities/environment-lock.ts). */
  lockSettings?: Partial<EnvLockSettings>;
  /** When given, every activity call is logged (start/finish at debug, failure at warn) with its release. */
  logger?: Logger;
  /** Release metrics fed from notifications; default: the process's (platform/release-metrics.ts). */
  metrics?: ReleaseMetrics;
  /** Verification queries; without it Prometheus checks fail with "no prometheus configured". */
  prometheus?: PrometheusPort;
  /** HTTP checks; default: the global fetch. */
  httpFetch?: typeof fetch;
  /** GitLab history for release notes; without it releases carry no notes. */
  releaseNotes?: ReleaseNotesPort;
  /** The clock deploy windows are judged by; default: the system clock. Tests move it. */
  now?: () => Date;
  /** Argo Rollouts through each Argo CD instance (canary environments); absent: canary stages fail clearly. */
  rollouts?: RolloutPorts;
  /** Between releases: the apps the watchers follow (workflows/watcher.ts); none without it. */
  watch?: WatchDeps;
}

export interface LockActivityInput {
  service: string;
  releaseId: string;
  environment: string;
  releaseStartedAt: number;
}

export function createActivities(deps: ActivityDeps) {
  const lockWorkflow = (service: string) => ({
    workflowId: serviceLockId(service),
    taskQueue: deps.taskQueue,
    args: [{ service, queue: [], waitingForApproval: [], livenessCheckMs: 60_000 }],
    // What this workflow is, for whoever finds it in the Temporal UI next to the releases.
    staticSummary: `Runway lock for ${service}: lets one release at a time change its environments`,
    staticDetails: [
      `One long-lived **service lock** per service (\`${serviceLockId(service)}\`). It is not a release.`,
      '',
      'Releases of this service ask it for the lock before they bump, sync or roll back an environment, and',
      'hand it back after. Its current details show who holds the lock and who waits.',
      '',
      'To list only releases: `WorkflowType = "releaseWorkflow"`.',
    ].join('\n'),
  });

  const metrics = deps.metrics ?? releaseMetrics();
  const argocdFor = (instance: string | undefined): ArgoCdPort => {
    if (!instance || instance === 'default') return deps.argocd;
    const port = deps.argocdInstances?.[instance];
    if (!port) throw new PermanentError(`no Argo CD instance "${instance}" is configured`);
    return port;
  };
  const activities = withFailureMapping(
    {
      ...environmentLockActivities(deps),
      ...canaryActivities(deps),
      ...watchActivities({ ...deps, argocdFor }),

      /** How two commits relate on the project's history (the environment locks order releases by it). */
      async relateCommits(input: { projectId: string; a: string; b: string }) {
        return deps.gitlab.relateCommits(input.projectId, input.a, input.b);
      },

      async checkImage(image: ImageRef): Promise<{ exists: boolean; digest?: string }> {
        return deps.registry.imageExists(image);
      },

      async getPipeline(input: { projectId: string; sha: string }): Promise<PipelineInfo | null> {
        return deps.gitlab.latestPipeline(input.projectId, input.sha);
      },

      async startDeployment(input: { projectId: string; environment: string; sha: string; ref: string }) {
        const { id } = await deps.gitlab.ensureDeployment(input);
        return { deploymentId: id };
      },

      async finishDeployment(input: { projectId: string; deploymentId: number; status: DeploymentStatus }) {
        await deps.gitlab.updateDeployment(input.projectId, input.deploymentId, input.status);
      },

      async setImage(request: SetImageRequest): Promise<SetImageResult> {
        return deps.infra(request.location).setImage(request);
      },

      async syncApplication(input: SyncApplicationInput): Promise<SyncApplicationResult> {
        return startDeploy(argocdFor(input.app?.instance), input);
      },

      async waitForHealth(input: HealthWaitInput): Promise<HealthWaitResult> {
        const infra = input.infra ? deps.infra(input.infra) : undefined;
        return waitForHealth(argocdFor(input.app?.instance), input, infra);
      },

      async notify(notification: ReleaseNotification): Promise<{ messageRef?: { channel: string; ts: string } }> {
        // Metrics first and never fatal: they must not depend on Slack being up, nor break a notification.
        try {
          // A message brought up to date elsewhere repeats an event already observed.
          if (!notification.updateOnly) metrics.observe(notification);
        } catch (err) {
          deps.logger?.warn({ err: errorFields(err) }, 'release metrics: notification not recorded');
        }
        return deps.notifier.publish(notification, {
          lookFirst: await earlierAttemptMayHaveWritten(deps.temporal),
        });
      },

      async commentOnMergeRequest(input: { projectId: string; mrIid: number; releaseId: string; body: string }) {
        const marker = `<!-- runway:${input.releaseId} -->`;
        return deps.gitlab.upsertMergeRequestNote({
          projectId: input.projectId,
          mrIid: input.mrIid,
          marker,
          body: `${input.body}\n\n${marker}`,
        });
      },

      // The per-service lock lives in a workflow; signalWithStart creates it on first use.
      async requestServiceLock(input: LockActivityInput): Promise<void> {
        await deps.temporal.workflow.signalWithStart('serviceLockWorkflow', {
          ...lockWorkflow(input.service),
          signal: 'acquire',
          signalArgs: [
            { releaseId: input.releaseId, environment: input.environment, releaseStartedAt: input.releaseStartedAt },
          ],
        });
      },

      async releaseServiceLock(input: { service: string; releaseId: string }): Promise<void> {
        await deps.temporal.workflow.signalWithStart('serviceLockWorkflow', {
          ...lockWorkflow(input.service),
          signal: 'release',
          signalArgs: [{ releaseId: input.releaseId }],
        });
      },

      async reportApprovalWait(input: {
        service: string;
        releaseId: string;
        releaseStartedAt: number;
        waiting: boolean;
      }) {
        await deps.temporal.workflow.signalWithStart('serviceLockWorkflow', {
          ...lockWorkflow(input.service),
          signal: 'approvalWait',
          signalArgs: [
            { releaseId: input.releaseId, releaseStartedAt: input.releaseStartedAt, waiting: input.waiting },
          ],
        });
      },

      async evaluateChecks(input: EvaluateChecksInput) {
        return evaluateChecks({ prometheus: deps.prometheus, fetch: deps.httpFetch }, input);
      },

      async releaseNotes(input: ReleaseNotesInput) {
        return releaseNotes({ notes: deps.releaseNotes, infra: deps.infra }, input);
      },

      async checkDeployWindow(input: WindowCheckInput) {
        return checkDeployWindow(
          { temporal: deps.temporal, taskQueue: deps.taskQueue, now: deps.now, gitlab: deps.gitlab },
          input,
        );
      },

      /** Used by the lock workflow to drop holders that were terminated without releasing. */
      async isWorkflowRunning(workflowId: string): Promise<boolean> {
        try {
          const description = await deps.temporal.workflow.getHandle(workflowId).describe();
          return description.status.name === 'RUNNING';
        } catch (err) {
          if ((err as Error).name === 'WorkflowNotFoundError') return false;
          throw err;
        }
      },
    },
    { selfHeartbeating: ['waitForHealth'] },
  );
  return deps.logger ? withActivityLogging(activities, deps.logger) : activities;
}

export type RunwayActivities = ReturnType<typeof createActivities>;
