// What a stage module gets from the release run: the plan, the timeline, notifications and its activities.
// The release's own stages (image, approval, deploy, compensation, finish) also share the run's state.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RunwayActivities } from '../../activities/index.js';
import { PERMANENT_ERROR_TYPES } from '../../domain/errors.js';
import type { ActivityTiming, EnvironmentPlan, ImageRef, ReleasePlan, StageOf } from '../../domain/types.js';
import type { NotificationKind } from '../../domain/notification.js';
import { DEFAULT_TIMING, releaseActivities } from '../activity-options.js';
import type { ApprovalDecisionResult, PipelineEvent } from '../messages.js';
import type { CanaryRun } from './canary-state.js';
import { ReleaseLocks, isOperatorChoice } from '../release-locks.js';
import { TimelineRecorder } from '../timeline.js';
import { isPatched, retiredPatch } from '../patching.js';
import { sendNotification } from './notify.js';

export interface StageContext {
  plan: ReleasePlan;
  rec: TimelineRecorder;
  timing: ActivityTiming;
  /** Epoch ms the release started (from workflowInfo, deterministic). */
  startedAt: number;
  notify(kind: NotificationKind, options?: { environment?: string }): Promise<void>;
}

export interface NotifyOptions {
  environment?: string;
  channel?: string;
  approvers?: string[];
  detail?: string;
  updateOnly?: boolean;
}

/** A bump this release made, to revert if a later step fails. */
export interface Compensation {
  environment: EnvironmentPlan;
  previous: ImageRef;
  bumpCommit: string;
}

/** The environment being changed right now: its deploy stage and GitLab deployment. */
export interface InFlight {
  environment: EnvironmentPlan;
  stage: StageOf<'deploy'>;
  deploymentId?: number;
}

export type MessageRef = { channel: string; ts: string };
export type ReleaseActivities = ReturnType<typeof releaseActivities>;

/** One release (or rollback) run: signal handlers write into it, stages read and advance it. */
export interface ReleaseContext extends StageContext {
  kind: 'release' | 'rollback';
  acts: ReleaseActivities;
  locks: ReleaseLocks;
  compensations: Compensation[];
  /** Slack messages to update, by channel ('' for the default one). */
  messageRefs: Record<string, MessageRef>;
  inFlight?: InFlight;
  approvalWait?: { environment: string; approvers: string[] };
  decision?: ApprovalDecisionResult;
  pipelineEvent?: PipelineEvent;
  /** The canary running now (an environment with `rollout`): what Promote / Abort act on. */
  canary?: CanaryRun;
  notify(kind: NotificationKind, options?: NotifyOptions): Promise<void>;
}

export function createReleaseContext(plan: ReleasePlan, kind: 'release' | 'rollback'): ReleaseContext {
  const startedAt = workflowInfo().startTime.getTime();
  const timing = { ...DEFAULT_TIMING, ...plan.timing };
  // Local activities are not used by new releases: a worker that evicts a workflow while one is in flight (a
  // full cache under load; every task with a cacheless worker) drops its result and the task times out, and a
  // local activity whose result lands in a later workflow task is resolved earlier on replay, so code after it runs
  // before that task's patch markers are known (the TMPRL1100 of docs/workflows.md). Releases started with them
  // (patch `local-activities`, 2026-11-21 to 2026-12-07) replay with them. The path of releases older than that
  // (neither marker, ordinary activities) is retired: such a run no longer replays (docs/workflows.md).
  const local = !isPatched('no-local-activities') && retiredPatch('local-activities');
  const acts = releaseActivities(timing, { local });
  // Releases started on the per-service lock keep it; new ones use ordered environment locks.
  const locks = new ReleaseLocks(plan, acts, startedAt, isPatched('environment-locks'), {
    ordered: !isOperatorChoice(plan.releaseId, workflowInfo().workflowType),
  });
  // Releases started before the timeline was kept in the memo replay without those commands.
  const rec = new TimelineRecorder(plan, isPatched('timeline-memo'));
  const ctx: ReleaseContext = {
    plan,
    kind,
    rec,
    timing,
    startedAt,
    acts,
    locks,
    compensations: [],
    messageRefs: {},
    notify: (notificationKind, options) => sendNotification(ctx, notificationKind, options),
  };
  return ctx;
}

/** How often a queued release re-reads its window (freezes can be lifted at any time). */
export const DEFAULT_WINDOW_RECHECK_MS = 5 * 60_000;

/** Activities of the window and verify stages: short, read-only calls. */
export function stageActivities(timing: ActivityTiming) {
  return proxyActivities<RunwayActivities>({
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    retry: {
      initialInterval: timing.retryInitialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: Math.max(10_000, timing.retryInitialIntervalMs),
      maximumAttempts: 5,
      nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES],
    },
  });
}

/** Rollbacks are emergencies: they ignore windows and are not verified (reverting a revert helps nobody). */
export function isRollbackRun(): boolean {
  return workflowInfo().workflowType === 'rollbackWorkflow';
}
