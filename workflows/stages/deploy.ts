// Deploy: open a GitLab deployment, bump the image in the infra repo (remembering what to revert), and
// let Argo CD roll it out until healthy. Completing it closes the GitLab deployment and frees the lock.
import type { EnvironmentPlan, StageOf } from '../../domain/types.js';
import { shortSha } from '../../domain/ids.js';
import type { InFlight, ReleaseContext } from './context.js';
import { tryStep } from './outcomes.js';
import { syncAndWait } from './sync.js';
import { formatImageRef } from '../../domain/image-ref.js';
import { canaryDeploy, canaryPreflight } from './canary.js';

export interface Deployment {
  stage: StageOf<'deploy'>;
  deploymentId: number;
}

export async function deployStage(ctx: ReleaseContext, environment: EnvironmentPlan): Promise<Deployment> {
  const { plan, acts, rec } = ctx;
  const stage = rec.begin('deploy', environment.name, { image: formatImageRef(plan.image) });
  const inFlight: InFlight = { environment, stage };
  ctx.inFlight = inFlight;

  const { deploymentId } = await acts.startDeployment({
    projectId: plan.project.id,
    environment: environment.name,
    sha: plan.commit.sha,
    ref: plan.commit.ref,
  });
  inFlight.deploymentId = deploymentId;
  stage.details.deploymentId = deploymentId;
  // Rollout environments only (new config, new code path): a Rollout that is not there fails before the bump.
  const canary = environment.rollout ? await canaryPreflight(ctx, environment) : undefined;

  const bump = await acts.setImage({
    location: plan.infra,
    target: environment.target,
    image: plan.image,
    message: `Deploy ${plan.service} ${shortSha(plan.commit.sha)} to ${environment.name}`,
    changeId: `${plan.releaseId}/${environment.name}/deploy`,
  });
  Object.assign(stage.details, {
    previousImage: bump.previous ? formatImageRef(bump.previous) : undefined,
    infraCommit: bump.commitSha,
    bumped: bump.changed,
  });
  if (bump.previous && formatImageRef(bump.previous) !== formatImageRef(plan.image)) {
    ctx.compensations.push({ environment, previous: bump.previous, bumpCommit: bump.commitSha });
  }

  if (canary) await canaryDeploy(ctx, environment, bump.commitSha, stage, canary);
  else await syncAndWait(ctx, environment, bump.commitSha, stage);
  return { stage, deploymentId };
}

export async function completeDeployment(ctx: ReleaseContext, { stage, deploymentId }: Deployment): Promise<void> {
  const { plan, acts, rec } = ctx;
  // GitLab's deployment record is reporting, not a gate: failing to update it must not roll back a healthy deploy.
  await tryStep(rec, 'GitLab deployment status', () =>
    acts.finishDeployment({ projectId: plan.project.id, deploymentId, status: 'success' }),
  );
  rec.end(stage, 'succeeded');
  ctx.inFlight = undefined;
  await ctx.locks.release();
}
