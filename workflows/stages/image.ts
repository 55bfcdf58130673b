// Image: is the release's image in the registry? If not, wait for its GitLab pipeline (webhook first,
// polling as the fallback) and check again once it succeeds.
import { condition } from '@temporalio/workflow';
import type { StageOf } from '../../domain/types.js';
import { shortSha } from '../../domain/ids.js';
import { workflowNow } from '../clock.js';
import type { ReleaseContext } from './context.js';
import { ReleaseFailure, superseded } from './outcomes.js';
import { formatImageRef } from '../../domain/image-ref.js';

export async function imageStage(ctx: ReleaseContext): Promise<void> {
  const { plan, acts, rec, locks } = ctx;
  locks.heading = plan.environments[0]?.name;
  const stage = rec.begin('image', undefined, { image: formatImageRef(plan.image) });
  const found = await acts.checkImage(plan.image);
  if (found.exists) {
    rec.end(stage, 'skipped', { buildSkipped: true, digest: found.digest });
    return;
  }
  stage.details.buildSkipped = false;
  const deadline = workflowNow().getTime() + plan.pipeline.timeoutMs;
  for (;;) {
    endIfSuperseded(ctx, stage);
    const event = ctx.pipelineEvent;
    ctx.pipelineEvent = undefined;
    // A terminal pipeline webhook is trusted as is; otherwise ask GitLab.
    const pipeline =
      event && (event.status === 'success' || event.failedJob)
        ? { id: event.pipelineId, status: event.status, failedJob: event.failedJob, webUrl: undefined }
        : await acts.getPipeline({ projectId: plan.project.id, sha: plan.commit.sha });
    if (pipeline) {
      stage.details.pipelineId = pipeline.id;
      if (pipeline.webUrl) stage.details.pipelineUrl = pipeline.webUrl;
      stage.details.pipelineStatus = pipeline.status;
    }
    if (pipeline?.status === 'success') {
      const built = await acts.checkImage(plan.image);
      if (!built.exists) {
        throw new ReleaseFailure(
          `pipeline ${pipeline.id} succeeded but ${formatImageRef(plan.image)} is not in the registry`,
        );
      }
      rec.end(stage, 'succeeded', { digest: built.digest });
      return;
    }
    if (pipeline && (pipeline.status === 'failed' || pipeline.status === 'canceled' || pipeline.status === 'skipped')) {
      const job = pipeline.failedJob;
      if (job) {
        rec.link('failedJob', job.url);
        Object.assign(stage.details, { failedJob: job.name, failedJobUrl: job.url });
      }
      throw new ReleaseFailure(
        `pipeline ${pipeline.id} ${pipeline.status}` + (job ? `: job "${job.name}" failed (${job.url})` : ''),
      );
    }
    const remaining = deadline - workflowNow().getTime();
    if (remaining <= 0) {
      throw new ReleaseFailure(
        `no successful pipeline for ${shortSha(plan.commit.sha)} within ${plan.pipeline.timeoutMs} ms`,
      );
    }
    // Event-driven: the pipeline webhook wakes us; polling is the slow fallback.
    await condition(
      () => ctx.pipelineEvent !== undefined || locks.supersededBy !== undefined,
      Math.min(plan.pipeline.pollIntervalMs, remaining),
    );
  }
}

/** While still heading for an environment (building, waiting), a newer release that owns it ends this one. */
function endIfSuperseded(ctx: ReleaseContext, stage: StageOf<'image'>): void {
  if (!ctx.locks.supersededBy) return;
  ctx.rec.end(stage, 'cancelled', { supersededBy: ctx.locks.supersededBy });
  throw superseded(ctx);
}
