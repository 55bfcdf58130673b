// A deploy Runway did not make, on the record: one short workflow per (service, environment, revision), id
// `external/<service>/<environment>/<revision>` (so once per revision, whoever asks twice). It writes the GitLab
// deployment of that environment (status from the Argo CD operation, sha the synced revision) and answers the
// `status` query with a one-stage timeline marked `source: external`: the deploy history and DORA read it like
// a release's.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import { PERMANENT_ERROR_TYPES } from '../domain/errors.js';
import type { ReleaseTimeline, StageOf } from '../domain/types.js';
import type { ExternalOperation } from '../domain/watch.js';
import { statusQuery } from './messages.js';

const gitlab = proxyActivities<RunwayActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 8, maximumInterval: '1 minute', nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES] },
});

export async function externalDeployWorkflow(op: ExternalOperation): Promise<ReleaseTimeline> {
  const succeeded = op.phase === 'Succeeded';
  const by = op.initiatedBy ?? 'someone';
  const stage: StageOf<'deploy'> = {
    kind: 'deploy',
    environment: op.target.environment,
    state: succeeded ? 'succeeded' : 'failed',
    startedAt: op.startedAt ?? op.finishedAt,
    endedAt: op.finishedAt,
    details: { image: op.image, revision: op.revision, source: 'external', initiatedBy: by, phase: op.phase },
  };
  const timeline: ReleaseTimeline = {
    releaseId: workflowInfo().workflowId,
    service: op.target.service,
    commit: op.revision,
    status: succeeded ? 'succeeded' : 'failed',
    stage: 'finish',
    stages: [stage],
    warnings: [],
    links: {},
    actions: [{ action: 'deploy', by, environment: op.target.environment, at: op.finishedAt }],
    source: 'external',
    initiatedBy: by,
  };
  setHandler(statusQuery, () => timeline);
  // Two idempotent steps, as a release does: a retried create finds the running deployment it made.
  try {
    const { deploymentId } = await gitlab.startDeployment({
      projectId: op.target.gitlabProject,
      environment: op.target.environment,
      sha: op.revision,
      ref: op.target.ref,
    });
    await gitlab.finishDeployment({
      projectId: op.target.gitlabProject,
      deploymentId,
      status: succeeded ? 'success' : 'failed',
    });
    stage.details.gitlabDeployment = deploymentId;
  } catch (err) {
    timeline.warnings.push(`GitLab deployment not recorded: ${(err as Error).message}`);
  }
  return timeline;
}
