// Window: a release reaching an environment outside its deploy windows (or frozen) waits here, status
// `queued`, saying when it opens. When it opens and a newer release of the service is in flight, this one
// is superseded. A forced deploy (an approver's hotfix) goes through, with the reason on record.
import { sleep } from '@temporalio/workflow';
import type { EnvironmentPlan, ReleaseStatus } from '../../domain/types.js';
import { DEFAULT_WINDOW_RECHECK_MS, isRollbackRun, stageActivities, type StageContext } from './context.js';

export interface WindowOutcome {
  supersededBy?: string;
}

export async function windowStage(ctx: StageContext, environment: EnvironmentPlan): Promise<WindowOutcome> {
  if (isRollbackRun()) return {};
  const { plan, rec } = ctx;
  const acts = stageActivities(ctx.timing);
  const input = {
    service: plan.service,
    environment: environment.name,
    windows: environment.windows,
    freezes: environment.freezes,
  };
  let state = await acts.checkDeployWindow(input);
  if (state.open) return {};
  if (plan.force) {
    rec.begin('window', environment.name, {
      forcedBy: plan.force.by,
      forceReason: plan.force.reason,
      closedBecause: state.reason,
      summary: `forced through a closed window by ${plan.force.by}: ${plan.force.reason} (${state.reason})`,
    });
    rec.end(rec.timeline.stages.at(-1)!, 'succeeded');
    rec.warn(`${environment.name} was closed (${state.reason}); forced by ${plan.force.by}: ${plan.force.reason}`);
    return {};
  }
  const previousStatus: ReleaseStatus = rec.timeline.status;
  const describe = () => `queued: ${state.reason}; opens at ${state.opensAt ?? 'unknown (unfreeze needed)'}`;
  const stage = rec.begin('window', environment.name, {
    closedBecause: state.reason,
    opensAt: state.opensAt,
    summary: describe(),
  });
  rec.setStatus('queued');
  await ctx.notify('progress', { environment: environment.name });
  const recheckMs = ctx.timing.windowRecheckMs ?? DEFAULT_WINDOW_RECHECK_MS;
  for (;;) {
    const untilOpen = state.opensAt ? Date.parse(state.opensAt) - Date.parse(state.now) : recheckMs;
    await sleep(Math.max(Math.min(untilOpen, recheckMs), 1));
    const last = state;
    state = await acts.checkDeployWindow({
      ...input,
      releaseId: plan.releaseId,
      releaseStartedAt: ctx.startedAt,
      projectId: plan.project.id,
      sha: plan.commit.sha,
    });
    if (state.open) break;
    if (state.reason !== last.reason || state.opensAt !== last.opensAt) {
      Object.assign(stage.details, { closedBecause: state.reason, opensAt: state.opensAt, summary: describe() });
      await ctx.notify('progress', { environment: environment.name });
    }
  }
  if (state.supersededBy) {
    rec.end(stage, 'cancelled', { supersededBy: state.supersededBy, summary: `superseded by ${state.supersededBy}` });
    return { supersededBy: state.supersededBy };
  }
  rec.end(stage, 'succeeded', { openedAt: state.now, summary: `opened at ${state.now}` });
  rec.setStatus(previousStatus === 'queued' ? 'running' : previousStatus);
  return {};
}
