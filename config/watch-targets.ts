// Which Argo CD apps the watchers follow, from runway.yaml: every environment of every service, grouped by the
// Argo CD instance that runs it (one watcher per instance and task queue).
import type { WatchTarget } from '../domain/watch.js';
import type { RunwayConfig } from './schema.js';

export const DEFAULT_WATCH_INTERVAL_MS = 30_000;
export const DEFAULT_WATCH_GRACE_MS = 120_000;

export function watchTargets(config: RunwayConfig): WatchTarget[] {
  const targets: WatchTarget[] = [];
  for (const [service, svc] of Object.entries(config.services)) {
    for (const env of svc.environments) {
      targets.push({
        key: `${service}/${env.name}`,
        service,
        environment: env.name,
        instance: env.argocd.instance ?? 'default',
        application: env.argocd.application,
        namespace: env.argocd.namespace,
        project: env.argocd.project,
        infraRepo: svc.infra.repository,
        channel: svc.notify.channel ?? config.slack?.defaultChannel,
        gitlabProject: svc.gitlab.project,
        ref: svc.triggerBranches[0] ?? 'main',
        imageRepository: svc.image.repository,
        degraded: env.watch?.degraded ?? 'alert',
        drift: env.watch?.drift ?? 'alert',
        graceMs: env.watch?.grace ?? DEFAULT_WATCH_GRACE_MS,
      });
    }
  }
  return targets;
}

/** The Argo CD instances some environment uses: one watcher each. */
export function watchedInstances(config: RunwayConfig): string[] {
  return [...new Set(watchTargets(config).map((t) => t.instance))].sort();
}

/** The watcher of one instance on one task queue (a task queue is one Runway installation). */
export function watcherId(instance: string, taskQueue: string): string {
  return `runway-watch/${instance}/${taskQueue}`;
}
