// A deliberately incompatible edit of releaseWorkflow: it schedules a different first activity.
// The replay guard test proves that saved histories catch such a change.
import { proxyActivities } from '@temporalio/workflow';
import type { RunwayActivities } from '../../../activities/index.js';
import type { ReleasePlan } from '../../../domain/types.js';

const { getPipeline } = proxyActivities<RunwayActivities>({ startToCloseTimeout: '1 minute' });

export async function releaseWorkflow(plan: ReleasePlan): Promise<void> {
  await getPipeline({ projectId: plan.project.id, sha: plan.commit.sha });
}
