// Starting a deploy in Argo CD, by the app's own sync policy (read once per deploy):
// - auto-sync (`spec.syncPolicy.automated`): never name a revision (Server.Sync refuses any revision other
//   than targetRevision: "Cannot sync to <sha>: auto-sync currently set to <branch>"); ask for a refresh so
//   the controller notices the bump now, and let the health wait watch the controller's own operation;
// - manual: sync to the branch the app tracks (it then contains the bump), or to the bump commit itself when
//   the app pins no branch of the infra repository (HEAD, a tag, a sha, another branch).
import type { InfraRepoLocation } from '../domain/types.js';
import type { AppStatus, ArgoAppRef, ArgoCdPort, SyncRequest } from './ports.js';

export interface SyncApplicationInput {
  application: string;
  /** The commit to deploy (bump or revert). */
  revision: string;
  app?: Omit<ArgoAppRef, 'name'> & { instance?: string };
  infra?: InfraRepoLocation;
}

export interface SyncApplicationResult {
  appUrl: string;
  /** How the app is deployed: by its own auto-sync, or by Runway's sync. */
  mode?: 'auto' | 'manual';
  /** What the sync request came to (manual apps). */
  sync?: 'started' | 'busy' | 'blocked';
  /** A sync window refused the sync. */
  blocked?: { message: string; until?: string };
}

/** The revision a sync names for this app (none for auto-sync apps). */
export function syncRevisionFor(status: AppStatus, commit: string, branch?: string): SyncRequest {
  if (status.automated) return {};
  const target = status.targetRevision;
  const tracksBranch = !!branch && !!target && (target === branch || target === `refs/heads/${branch}`);
  return { revision: tracksBranch ? target : commit, sourceIndex: status.sourceIndex };
}

export async function startDeploy(argocd: ArgoCdPort, input: SyncApplicationInput): Promise<SyncApplicationResult> {
  const ref: ArgoAppRef = {
    name: input.application,
    namespace: input.app?.namespace,
    project: input.app?.project,
    infraRepo: input.infra?.repository,
  };
  const appUrl = argocd.appUrl(ref);
  const status = await argocd.getStatus(ref);
  if (status.automated) {
    // GET ?refresh=normal (REST) or the refresh annotation (Kubernetes): the controller compares the branch
    // head at once and auto-syncs, instead of at its next poll (3 minutes by default).
    await argocd.getStatus(ref, { refresh: 'normal' });
    return { appUrl, mode: 'auto' };
  }
  const outcome = await argocd.sync(ref, syncRevisionFor(status, input.revision, input.infra?.branch));
  if (outcome.state === 'blocked') {
    return { appUrl, mode: 'manual', sync: 'blocked', blocked: { message: outcome.message, until: outcome.until } };
  }
  return { appUrl, mode: 'manual', sync: outcome.state };
}
