// Retries and timeouts per activity kind (the table in docs/retries.md mirrors this file).
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import { PERMANENT_ERROR_TYPES } from '../domain/errors.js';
import type { ActivityTiming } from '../domain/types.js';

export const DEFAULT_TIMING: ActivityTiming = {
  heartbeatTimeoutMs: 30_000,
  pollIntervalMs: 5_000,
  retryInitialIntervalMs: 1_000,
};

function retry(timing: ActivityTiming, maximumAttempts: number, maximumIntervalMs: number): ActivityOptions['retry'] {
  return {
    initialInterval: timing.retryInitialIntervalMs,
    backoffCoefficient: 2,
    maximumInterval: Math.max(maximumIntervalMs, timing.retryInitialIntervalMs),
    maximumAttempts,
    nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES],
  };
}

/**
 * Activity proxies for one release; the health wait's timeout depends on the environment, so it is built per call.
 * With `local`, the short calls that only talk to Slack or signal the service lock run as local activities: no
 * task-queue round trip each (about a dozen per release).
 */
export function releaseActivities(timing: ActivityTiming, options: { local: boolean } = { local: false }) {
  // Registry and GitLab reads: quick calls; gitbeaker itself retries 429/502 inside one attempt.
  const lookups = proxyActivities<RunwayActivities>({
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    startToCloseTimeout: '5 minutes',
    scheduleToCloseTimeout: '20 minutes',
    retry: retry(timing, 8, 60_000),
  });
  // Writes to GitLab (deployments, MR note) and the infra repo: idempotent, so retrying is safe.
  const writes = proxyActivities<RunwayActivities>({
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    startToCloseTimeout: '5 minutes',
    scheduleToCloseTimeout: '30 minutes',
    retry: retry(timing, 10, 60_000),
  });
  // Argo CD sync: waits out a running operation, so it may take a while.
  const sync = proxyActivities<RunwayActivities>({
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    startToCloseTimeout: '3 minutes',
    scheduleToCloseTimeout: '15 minutes',
    retry: retry(timing, 6, 30_000),
  });
  const proxy = options.local ? proxyLocalActivities<RunwayActivities> : proxyActivities<RunwayActivities>;
  // Notifications never fail a release (the workflow turns a failure into a warning). Temporal is the only
  // retry layer for Slack (the client re-sends nothing), and each attempt looks before it posts, so retrying
  // is safe: enough attempts to ride out a rough minute, honouring Slack's Retry-After (nextRetryDelay).
  const notify = proxy({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '3 minutes',
    retry: retry(timing, 8, 10_000),
  });
  // Signals to the service lock workflow.
  const lock = proxy({
    startToCloseTimeout: '30 seconds',
    retry: retry(timing, 20, 10_000),
  });
  const healthWait = (timeoutMs: number) =>
    proxyActivities<RunwayActivities>({
      startToCloseTimeout: timeoutMs + 120_000,
      heartbeatTimeout: timing.heartbeatTimeoutMs,
      retry: retry(timing, 5, 30_000),
    }).waitForHealth;

  return {
    checkImage: lookups.checkImage,
    getPipeline: lookups.getPipeline,
    startDeployment: writes.startDeployment,
    finishDeployment: writes.finishDeployment,
    setImage: writes.setImage,
    commentOnMergeRequest: writes.commentOnMergeRequest,
    syncApplication: sync.syncApplication,
    notify: notify.notify,
    requestServiceLock: lock.requestServiceLock,
    releaseServiceLock: lock.releaseServiceLock,
    reportApprovalWait: lock.reportApprovalWait,
    // Environment locks: each call only signals (never waits for the lock workflow, which may need the very
    // workflow-task slot a waiting local activity would hold); answers come back as signals.
    requestEnvironmentLock: lock.requestEnvironmentLock,
    reportEnvironmentApprovalWait: lock.reportEnvironmentApprovalWait,
    releaseEnvironmentLock: lock.releaseEnvironmentLock,
    renewEnvironmentLock: lock.renewEnvironmentLock,
    healthWait,
  };
}
