// Argo CD: sync the application to an infra revision and wait until it is healthy there. Used by a
// deploy and by its rollback.
import { isPatched } from '../patching.js';
import type { EnvironmentPlan, StageOf } from '../../domain/types.js';
import { workflowNow } from '../clock.js';
import type { ReleaseContext } from './context.js';

export async function syncAndWait(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  revision: string,
  stage: StageOf<'deploy' | 'rollback'>,
): Promise<void> {
  const { acts, plan, rec } = ctx;
  const { argocd } = environment;
  const app = {
    instance: argocd.instance,
    namespace: argocd.namespace,
    project: argocd.project,
  };
  const started = await acts.syncApplication({
    application: argocd.application,
    revision,
    app,
    infra: plan.infra,
  });
  rec.link(`argocd:${environment.name}`, started.appUrl);
  stage.details.argocdUrl = started.appUrl;
  if (started.mode) stage.details.argocdSync = started.mode;
  const deadline = workflowNow().getTime() + environment.healthTimeoutMs;
  let blocked = started.blocked;
  let announced = false;
  for (;;) {
    // A sync window holds the deploy: say so once (timeline, Slack), then keep waiting for it to open.
    if (blocked && !announced) {
      announced = true;
    }
    if (blocked && announced && !stage.details.blockedBySyncWindow && isPatched('argocd-sync-window')) {
      const until = blocked.until ? ` until ${blocked.until}` : '';
      const line = `${environment.name}: blocked by sync window${until}`;
      stage.details.blockedBySyncWindow = blocked.until ?? 'unknown';
      rec.warn(line);
      await ctx.notify('deploy_blocked', { environment: environment.name, detail: line });
    }
    const remaining = Math.max(deadline - workflowNow().getTime(), 1);
    const health = await acts.healthWait(environment.healthTimeoutMs)({
      application: argocd.application,
      revision,
      timeoutMs: announced ? remaining : environment.healthTimeoutMs,
      degradedGraceMs: environment.degradedGraceMs,
      pollIntervalMs: ctx.timing.pollIntervalMs,
      app,
      infra: plan.infra,
      autoSyncTimeoutMs: argocd.autoSyncTimeoutMs,
      suspended: argocd.onSuspended,
      missing: argocd.onMissing,
      blockAnnounced: announced,
    });
    if (health.blocked && !announced) {
      blocked = health.blocked;
      continue;
    }
    stage.details.health = health.status;
    return;
  }
}
