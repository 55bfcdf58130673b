// Failure: close what is open, then either just end (a decision: rejected, expired, superseded) or
// compensate and end failed. A failed manual rollback is never compensated.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { isPatched } from '../patching.js';
import type { ReleaseStatus } from '../../domain/types.js';

import { compensate } from './compensation.js';
import type { ReleaseContext } from './context.js';
import { finishStage } from './finish.js';
import { releaseLockQuietly } from './lock.js';
import { ReleaseEnded, errorMessage, releaseResult, tryStep, type ReleaseResult } from './outcomes.js';
import { formatImageRef } from '../../domain/image-ref.js';

export async function failureStage(ctx: ReleaseContext, err: unknown): Promise<ReleaseResult> {
  const { rec, locks } = ctx;
  const cancelled = isCancellation(err);
  const message = cancelled ? 'release cancelled' : errorMessage(err);

  if (ctx.approvalWait) {
    const { environment } = ctx.approvalWait;
    ctx.approvalWait = undefined;
    await tryStep(rec, 'approval wait report', () => locks.reportApprovalWait(environment, false));
  }
  const approvalStage = rec.timeline.stages.find((s) => s.kind === 'approval' && s.state === 'running');
  if (approvalStage) rec.end(approvalStage, 'cancelled', { error: message });
  const queueStage = rec.timeline.stages.find((s) => s.kind === 'queue' && s.state === 'running');
  if (queueStage) rec.end(queueStage, 'cancelled', { error: message });

  if (err instanceof ReleaseEnded) {
    rec.setStatus(err.status, err.message);
    await locks.release();
    await finishStage(ctx);
    return releaseResult(ctx);
  }

  const inFlight = ctx.inFlight;
  if (inFlight) rec.end(inFlight.stage, cancelled ? 'cancelled' : 'failed', { error: message });
  const imageStage = rec.timeline.stages.find((s) => s.kind === 'image' && s.state === 'running');
  if (imageStage) rec.end(imageStage, cancelled ? 'cancelled' : 'failed', { error: message });

  // Saved rollback histories from before this rule replay with the old saga.
  if (ctx.kind === 'rollback' && isPatched('rollback-never-reverts')) {
    return failRollback(ctx, err, message, cancelled);
  }
  const leftBroken = await compensate(ctx, inFlight?.environment.name);
  await closeDeployment(ctx, cancelled);
  // What is still held was not bumped by this release (or its bump is recorded as a failure above).
  await releaseLockQuietly(ctx, true);

  let status: ReleaseStatus;
  if (leftBroken === null) status = cancelled ? 'cancelled' : 'failed';
  else if (leftBroken.length === 0) status = cancelled ? 'cancelled' : 'rolled_back';
  else status = 'rollback_failed';
  const detail = leftBroken?.length ? `${message}; ROLLBACK FAILED: ${leftBroken.join('; ')}` : message;
  rec.setStatus(status, detail);
  await finishStage(ctx);

  if (cancelled) throw err;
  throw ApplicationFailure.create({ type: `Release_${status}`, message: detail, nonRetryable: true });
}

/** A failed manual rollback: no compensation, `rollback_failed` (or `cancelled`), and a loud message. */
async function failRollback(ctx: ReleaseContext, err: unknown, message: string, cancelled: boolean): Promise<never> {
  const { plan, rec } = ctx;
  const inFlight = ctx.inFlight;
  await closeDeployment(ctx, cancelled);
  const bumped = inFlight?.stage.details.infraCommit !== undefined;
  // Not reverted: when it bumped, the environment now holds this rollback's image (no hand-back).
  await releaseLockQuietly(ctx, !bumped);
  const status: ReleaseStatus = cancelled ? 'cancelled' : 'rollback_failed';
  const where = inFlight
    ? `${inFlight.environment.name} ${bumped ? `now points at ${formatImageRef(plan.image)}` : 'was not changed'}`
    : 'nothing was changed';
  const detail = cancelled
    ? `rollback cancelled; ${where}`
    : `ROLLBACK FAILED: ${message}; ${where}. Not reverted to the version it rolled away from: needs a human.`;
  rec.setStatus(status, detail);
  await finishStage(ctx);
  if (cancelled) throw err;
  throw ApplicationFailure.create({ type: `Release_${status}`, message: detail, nonRetryable: true });
}

/** Marks the in-flight GitLab deployment failed (or canceled); a reporting step, so never fatal. */
async function closeDeployment(ctx: ReleaseContext, cancelled: boolean): Promise<void> {
  const deploymentId = ctx.inFlight?.deploymentId;
  if (deploymentId === undefined) return;
  await tryStep(ctx.rec, 'deployment status', () =>
    ctx.acts.finishDeployment({
      projectId: ctx.plan.project.id,
      deploymentId,
      status: cancelled ? 'canceled' : 'failed',
    }),
  );
}
