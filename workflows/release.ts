// The release workflow: image → (approval → window → deploy → verify → soak) per environment → finish, with
// a saga that rolls environments back when anything fails after a bump. Each stage is a module under
// stages/; this file is the order they run in. Deterministic: only @temporalio/workflow APIs.
import { CancellationScope, upsertMemo } from '@temporalio/workflow';
import { isPatched } from './patching.js';
import type { EnvironmentPlan, ReleasePlan } from '../domain/types.js';
import { approvalStage } from './stages/approval.js';
import { createReleaseContext, type ReleaseContext } from './stages/context.js';
import { completeDeployment, deployStage } from './stages/deploy.js';
import { failureStage } from './stages/failure.js';
import { finishStage } from './stages/finish.js';
import { registerHandlers } from './stages/handlers.js';
import { imageStage } from './stages/image.js';
import { acquireLock } from './stages/lock.js';
import { ReleaseEnded, releaseResult, type ReleaseResult } from './stages/outcomes.js';
import { releaseNotesStage } from './stages/release-notes.js';
import { soakStage } from './stages/soak.js';
import { verifyStage } from './stages/verify.js';
import { windowStage } from './stages/window.js';

export type { ReleaseResult } from './stages/outcomes.js';

export async function releaseWorkflow(plan: ReleasePlan): Promise<ReleaseResult> {
  return runRelease(createReleaseContext(plan, 'release'));
}

/**
 * A rollback is a release of an earlier image to one environment (no approval gate, image already
 * built): same stages, its own workflow type so operators can tell them apart in the UI. Unlike a release it
 * never "compensates": re-deploying the version it was rolling away from would undo the operator's decision,
 * so a rollback that fails ends `rollback_failed`, loudly, and leaves the environment for a human.
 */
export async function rollbackWorkflow(plan: ReleasePlan): Promise<ReleaseResult> {
  return runRelease(createReleaseContext(plan, 'rollback'));
}

async function runRelease(ctx: ReleaseContext): Promise<ReleaseResult> {
  const { plan, rec } = ctx;
  registerHandlers(ctx);
  for (const [name, url] of Object.entries(plan.links ?? {})) rec.link(name, url);
  if (plan.mergeRequest) upsertMemo({ mrTitle: plan.mergeRequest.title, mrUrl: plan.mergeRequest.url });
  try {
    if (isPatched('release-notes')) await releaseNotesStage(ctx);
    await ctx.notify('started');
    await imageStage(ctx);
    for (const environment of plan.environments) await releaseTo(ctx, environment);
    rec.setStatus('succeeded');
    await finishStage(ctx);
    return releaseResult(ctx);
  } catch (err) {
    // Compensation and the final messages must run even when the release itself was cancelled.
    return await CancellationScope.nonCancellable(() => failureStage(ctx, err));
  }
}

/** One environment: approval → window → lock → deploy (bump, sync, healthy) → verify → soak. */
async function releaseTo(ctx: ReleaseContext, environment: EnvironmentPlan): Promise<void> {
  const { plan, locks } = ctx;
  locks.heading = environment.name;
  if (environment.approval) await approvalStage(ctx, environment);
  if (isPatched('deploy-window')) {
    const { supersededBy } = await windowStage(ctx, environment);
    if (supersededBy) throw new ReleaseEnded('superseded', `superseded by ${supersededBy}`);
  }
  await acquireLock(ctx, environment.name);
  locks.heading = undefined;

  const deployment = await deployStage(ctx, environment);
  if (environment.verify && isPatched('verify-stage')) await verifyStage(ctx, environment);
  await completeDeployment(ctx, deployment);
  await ctx.notify('deployed', { environment: environment.name });

  const next = plan.environments[plan.environments.indexOf(environment) + 1];
  if (environment.soakMs && next && isPatched('soak-stage')) await soakStage(ctx, environment, next);
}
