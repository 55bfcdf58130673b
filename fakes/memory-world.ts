// In-memory stand-ins for the registry, GitLab, the infra repo, Argo CD and Slack. Used only by the
// workflow tests (activities faked at the worker, through the real activity code), the bench and the
// history recorder, which hand them in explicitly. Each records what it was asked, and can be scripted to fail.
import type { ImageRef, ManifestTarget } from '../domain/types.js';

import type { RunwayConfig } from '../config/schema.js';
import type {
  AppStatus,
  ArgoCdPort,
  DeploymentStatus,
  GitLabPort,
  InfraRepoPort,
  NotifierPort,
  PipelineInfo,
  RegistryPort,
  ReleaseNotification,
  SetImageRequest,
} from '../activities/ports.js';
import { FaultScript, permanentError } from './memory-faults.js';
import { formatImageRef } from '../domain/image-ref.js';

export interface InfraCommit {
  sha: string;
  message: string;
  changeId: string;
  file: string;
  target: string;
  image: ImageRef;
  previous: ImageRef;
}

export interface MemoryWorldOptions {
  /** How long a synced app stays Progressing before it turns Healthy (or Degraded). */
  progressMs?: number;
  /** Images for which the simulated rollout ends Degraded. Default: tags that start with `bad` or contain `-bad`. */
  isBadImage?: (image: ImageRef) => boolean;
}

const targetKey = (t: ManifestTarget) => JSON.stringify(t);
const sameImage = (a: ImageRef, b: ImageRef) => formatImageRef(a) === formatImageRef(b);

export function createMemoryWorld(options: MemoryWorldOptions = {}) {
  const faults = new FaultScript();
  const settings = { progressMs: options.progressMs ?? 50 };
  // `-bad` or a leading `bad`: a plain `includes('bad')` would also match random hex commit tags.
  const isBadImage = options.isBadImage ?? ((image) => /^bad|-bad/.test(image.tag));

  // ---- registry
  const images = new Set<string>();
  const registry: RegistryPort = {
    async imageExists(image) {
      await faults.check('registry.imageExists');
      const key = `${image.repository}:${image.tag}`;
      return images.has(key) ? { exists: true, digest: `sha256:${hex(key, 64)}` } : { exists: false };
    },
  };

  // ---- gitlab
  const pipelines = new Map<string, PipelineInfo>();
  const deployments: {
    id: number;
    projectId: string;
    environment: string;
    sha: string;
    ref: string;
    status: DeploymentStatus;
    history: DeploymentStatus[];
  }[] = [];
  const notes: { id: number; projectId: string; mrIid: number; body: string; edits: number }[] = [];
  // Each project's commit graph (sha → parent shas and date), for ancestry questions.
  const graph = new Map<string, Map<string, { parents: string[]; committedAt: string }>>();
  const heads = new Map<string, string>();
  const relateCalls: { projectId: string; a: string; b: string }[] = [];
  const ancestors = (projectId: string, sha: string): Set<string> => {
    const commits = graph.get(projectId)!;
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(commits.get(next)?.parents ?? []));
    }
    return seen;
  };
  const gitlab: GitLabPort = {
    async latestPipeline(_projectId, sha) {
      await faults.check('gitlab.latestPipeline');
      return pipelines.get(sha) ?? null;
    },
    async ensureDeployment(input) {
      await faults.check('gitlab.ensureDeployment');
      const existing = deployments.find(
        (d) =>
          d.projectId === input.projectId &&
          d.environment === input.environment &&
          d.sha === input.sha &&
          d.status === 'running',
      );
      if (existing) return { id: existing.id };
      const deployment = {
        id: deployments.length + 1,
        ...input,
        status: 'running' as const,
        history: ['running' as DeploymentStatus],
      };
      deployments.push(deployment);
      return { id: deployment.id };
    },
    async updateDeployment(_projectId, deploymentId, status) {
      await faults.check('gitlab.updateDeployment');
      const d = deployments.find((x) => x.id === deploymentId);
      if (!d) throw permanentError('PermanentGitLabError', `deployment ${deploymentId}: 404 Not Found`);
      if (d.status !== status) d.history.push(status);
      d.status = status;
    },
    async relateCommits(projectId, a, b) {
      await faults.check('gitlab.relateCommits');
      relateCalls.push({ projectId, a, b });
      if (a === b) return { relation: 'same' };
      const commits = graph.get(projectId);
      const missing = [a, b].filter((sha) => !commits?.has(sha));
      if (missing.length) return { relation: 'unknown', missing };
      if (ancestors(projectId, b).has(a)) return { relation: 'ancestor' };
      if (ancestors(projectId, a).has(b)) return { relation: 'descendant' };
      return {
        relation: 'diverged',
        aCommittedAt: commits!.get(a)!.committedAt,
        bCommittedAt: commits!.get(b)!.committedAt,
      };
    },
    async upsertMergeRequestNote(input) {
      await faults.check('gitlab.upsertMergeRequestNote');
      const existing = notes.find(
        (n) => n.projectId === input.projectId && n.mrIid === input.mrIid && n.body.includes(input.marker),
      );
      if (existing) {
        existing.body = input.body;
        existing.edits += 1;
        return { noteId: existing.id };
      }
      const note = { id: notes.length + 1, projectId: input.projectId, mrIid: input.mrIid, body: input.body, edits: 0 };
      notes.push(note);
      return { noteId: note.id };
    },
  };

  // ---- infra repo: the value of every (file, target), and a commit log
  const manifest = new Map<string, ImageRef>();
  const commits: InfraCommit[] = [];
  const infraRepo: InfraRepoPort = {
    async setImage(request: SetImageRequest) {
      await faults.check('infra.setImage');
      const key = targetKey(request.target);
      const current = manifest.get(key);
      if (!current) {
        throw permanentError(
          'ManifestTargetError',
          `${request.target.file}: no image target ${describeTarget(request.target)}`,
        );
      }
      const head = () => commits.at(-1)?.sha ?? hex('root', 40);
      if (sameImage(current, request.image)) {
        const earlier = commits.findLast((c) => c.changeId === request.changeId);
        return { changed: false, previous: earlier?.previous ?? current, commitSha: head() };
      }
      const sha = hex(`${commits.length}:${request.changeId}`, 40);
      commits.push({
        sha,
        message: request.message,
        changeId: request.changeId,
        file: request.target.file,
        target: key,
        image: request.image,
        previous: current,
      });
      manifest.set(key, request.image);
      await faults.check('infra.afterCommit'); // lets tests lose the reply after the commit landed
      return { changed: true, previous: current, commitSha: sha };
    },
    // The log is one line of history: a commit contains every earlier one.
    async isAncestor(_location, ancestor, descendant) {
      if (ancestor === descendant) return true;
      const a = commits.findIndex((c) => c.sha === ancestor);
      const d = commits.findIndex((c) => c.sha === descendant);
      return a !== -1 && d !== -1 && a <= d;
    },
    async currentImage({ target }) {
      return manifest.get(targetKey(target)) ?? null;
    },
  };

  // ---- argo cd: a tiny controller simulated on read
  const apps = new Map<string, { revision?: string; syncedAt: number; status: AppStatus }>();
  const syncs: { application: string; revision: string }[] = [];
  const appFailures = new Map<string, (image: ImageRef) => boolean>();
  const argocd: ArgoCdPort = {
    async sync(target, request) {
      const application = typeof target === 'string' ? target : target.name;
      const revision = (typeof request === 'string' ? request : request?.revision) ?? commits.at(-1)?.sha ?? '';
      await faults.check('argocd.sync');
      syncs.push({ application, revision });
      apps.set(application, {
        revision,
        syncedAt: Date.now(),
        status: { syncStatus: 'OutOfSync', health: 'Healthy', operationPhase: 'Running', operationRevision: revision },
      });
      return { state: 'started', revision };
    },
    async getStatus(target) {
      const application = typeof target === 'string' ? target : target.name;
      await faults.check('argocd.getStatus');
      const app = apps.get(application);
      if (!app?.revision) return { syncStatus: 'Unknown', health: 'Missing' };
      const commit = commits.find((c) => c.sha === app.revision);
      const bad = commit ? isBadImage(commit.image) || (appFailures.get(application)?.(commit.image) ?? false) : false;
      const elapsed = Date.now() - app.syncedAt;
      const settled = elapsed >= settings.progressMs;
      return {
        syncStatus: 'Synced',
        syncRevision: app.revision,
        health: !settled ? 'Progressing' : bad ? 'Degraded' : 'Healthy',
        healthMessage: settled && bad ? 'Deployment has minimum availability false: CrashLoopBackOff' : undefined,
        operationPhase: 'Succeeded',
        operationRevision: app.revision,
        operationMessage: 'successfully synced (all tasks run)',
      };
    },
    appUrl(target) {
      return `https://argocd.sandbox.local/applications/${typeof target === 'string' ? target : target.name}`;
    },
  };

  // ---- slack: one message per (release, channel), updated in place
  const notifications: ReleaseNotification[] = [];
  const messages: { channel: string; ts: string; updates: number; lastKind: string }[] = [];
  const notifier: NotifierPort = {
    async publish(notification) {
      await faults.check('notifier.publish');
      notifications.push(structuredClone(notification));
      const channel = notification.channel ?? '#releases';
      const existing = notification.messageRef && messages.find((m) => m.ts === notification.messageRef!.ts);
      if (existing) {
        existing.updates += 1;
        existing.lastKind = notification.kind;
        return { messageRef: { channel: existing.channel, ts: existing.ts } };
      }
      const message = {
        channel,
        ts: `${1_700_000_000 + messages.length}.000100`,
        updates: 0,
        lastKind: notification.kind,
      };
      messages.push(message);
      return { messageRef: { channel, ts: message.ts } };
    },
  };

  return {
    faults,
    ports: { registry, gitlab, infra: () => infraRepo, argocd, notifier },
    registry: { publish: (image: ImageRef) => images.add(`${image.repository}:${image.tag}`) },
    gitlab: {
      setPipeline: (sha: string, info: PipelineInfo) => pipelines.set(sha, info),
      deployments,
      notes,
      /**
       * Adds a commit to a project's history, on top of `parent` (default: the last commit added), so
       * ancestry questions get answers; commits never added are unknown to this GitLab.
       */
      commit: (projectId: string, sha: string, options: { parent?: string | null; committedAt?: string } = {}) => {
        const commits = graph.get(projectId) ?? new Map<string, { parents: string[]; committedAt: string }>();
        graph.set(projectId, commits);
        const parent = options.parent === undefined ? heads.get(projectId) : (options.parent ?? undefined);
        commits.set(sha, {
          parents: parent ? [parent] : [],
          committedAt: options.committedAt ?? new Date().toISOString(),
        });
        heads.set(projectId, sha);
      },
      relateCalls,
    },
    infra: {
      /** Declares that the manifest holds `image` at `target` (what a real file would). */
      seed: (target: ManifestTarget, image: ImageRef) => manifest.set(targetKey(target), image),
      imageAt: (target: ManifestTarget) => manifest.get(targetKey(target)),
      commits,
    },
    argocd: {
      syncs,
      /** Makes one application's rollouts of matching images end Degraded. */
      degradeWhen: (application: string, predicate: (image: ImageRef) => boolean) =>
        appFailures.set(application, predicate),
      /** Changes how long the next rollouts stay Progressing. */
      setProgressMs: (ms: number) => {
        settings.progressMs = ms;
      },
    },
    slack: { notifications, messages },
  };
}

export type MemoryWorld = ReturnType<typeof createMemoryWorld>;

function describeTarget(target: ManifestTarget): string {
  if (target.kind === 'kustomize') return `images[name=${target.name}]`;
  if (target.kind === 'helm') return target.tagPath;
  return `container ${target.container}`;
}

/** A deterministic hex string (fake commit shas and digests). */
function hex(seed: string, length: number): string {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const ch of seed + out.length) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/**
 * Gives every environment of `config` a current image in the memory world's infra repo, as a real manifest
 * would have. Only for processes that hand the memory world in as their stand-in (tests, bench).
 */
export function seedMemoryInfra(world: MemoryWorld, config: RunwayConfig): void {
  for (const service of Object.values(config.services)) {
    for (const env of service.environments) {
      const { file, kustomize, helm, container } = env.manifest;
      const target = kustomize
        ? { kind: 'kustomize' as const, file, name: kustomize.image }
        : helm
          ? { kind: 'helm' as const, file, tagPath: helm.tagPath, repositoryPath: helm.repositoryPath }
          : {
              kind: 'container' as const,
              file,
              container: container!.name,
              workloadKind: container!.kind,
              workloadName: container!.workload,
            };
      world.infra.seed(target, { repository: service.image.repository, tag: 'v0.1.0' });
    }
  }
}
