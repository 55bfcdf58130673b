// What a stage module gets from the release run: the plan, the timeline, notifications and its activities.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RunwayActivities } from '../../activities/index.js';
import { PERMANENT_ERROR_TYPES } from '../../domain/errors.js';
import type { ActivityTiming, ReleasePlan } from '../../domain/types.js';
import type { NotificationKind } from '../../activities/ports.js';
import type { TimelineRecorder } from '../timeline.js';

export interface StageContext {
  plan: ReleasePlan;
  rec: TimelineRecorder;
  timing: ActivityTiming;
  /** Epoch ms the release started (from workflowInfo, deterministic). */
  startedAt: number;
  notify(kind: NotificationKind, options?: { environment?: string }): Promise<void>;
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
