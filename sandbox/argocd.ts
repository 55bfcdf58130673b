// The sandbox Argo CD: FakeArgoCd with a controller that follows the infra repository, which two services
// (hello and world) share on one branch. A refresh (every few seconds, or on request) resolves `main` to
// its head and reads each application's manifest there (`git show <rev>:<file>`); the staging apps are
// auto-sync apps (the controller syncs them itself), production is a manual app Runway syncs. An image whose
// tag contains `bad` rolls out Degraded, anything else Healthy, about two seconds after the sync.
import { parse } from 'yaml';
import { FakeArgoRollouts, type FakeCanaryStep } from '../fakes/argo-rollouts.js';
import { FakeArgoCd } from '../fakes/argocd.js';
import { sandboxArgoCdPage } from './argocd-page.js';
import { formatImageRef, readImage } from '../domain/manifest/index.js';
import type { ManifestTarget } from '../domain/types.js';
import {
  INFRA_BRANCH,
  PRODUCTION_FILE,
  ROLLOUT_FILE,
  SEED_IMAGE,
  branchHead,
  inRepo,
  showFile,
  STAGING_FILE,
  WORLD_IMAGE,
  WORLD_STAGING_FILE,
} from './infra-repo.js';

export interface SandboxApplication {
  name: string;
  /** How the cluster reads the deployed image out of the manifest. */
  target: ManifestTarget;
  /** The image name the manifest starts from. */
  image: string;
  /** An auto-sync app (`syncPolicy.automated`). */
  automated: boolean;
}

/** What each Argo CD application renders. Helm reads the repository too: the cluster runs what the file says. */
export const SANDBOX_APPLICATIONS: readonly SandboxApplication[] = [
  {
    name: 'hello-staging',
    target: { kind: 'kustomize', file: STAGING_FILE, name: SEED_IMAGE },
    image: SEED_IMAGE,
    automated: true,
  },
  {
    name: 'hello-production',
    target: { kind: 'helm', file: PRODUCTION_FILE, tagPath: 'image.tag', repositoryPath: 'image.repository' },
    image: SEED_IMAGE,
    automated: false,
  },
  {
    name: 'world-staging',
    target: { kind: 'kustomize', file: WORLD_STAGING_FILE, name: WORLD_IMAGE },
    image: WORLD_IMAGE,
    automated: true,
  },
];

export interface ArgoTiming {
  /** Before the controller picks up a sync. */
  pickupMs?: number;
  /** How long a sync operation runs. */
  operationMs?: number;
  /** How long health stays Progressing after the sync. */
  healthyAfterMs?: number;
  /** The controller's own refresh interval (upstream: 3 minutes). */
  pollMs?: number;
}

export const BAD_TAG_MARKER = 'bad';

/** `host:port/a/b:tag` → `tag`; empty when there is none. */
export function tagOf(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon === -1 ? '' : (last.slice(colon + 1).split('@')[0] ?? '');
}

export async function imageAt(repoPath: string, app: SandboxApplication, revision: string): Promise<string> {
  const text = await showFile(repoPath, revision, app.target.file);
  return formatImageRef(readImage(text, app.target, app.image));
}

export async function createSandboxArgoCd(options: {
  repoPath: string;
  token: string;
  timing?: ArgoTiming;
  /** The sandbox Slack page, linked from the Argo CD page; default http://localhost:8080/sandbox/slack. */
  slackPageUrl?: string;
}): Promise<FakeArgoCd> {
  const { repoPath } = options;
  const argocd = new FakeArgoCd({
    token: options.token,
    repoURL: repoPath,
    pickupMs: options.timing?.pickupMs ?? 200,
    operationMs: options.timing?.operationMs ?? 800,
    healthyAfterMs: options.timing?.healthyAfterMs ?? 2_000,
    pollMs: options.timing?.pollMs ?? 5_000,
    isBadImage: (image) => tagOf(image).includes(BAD_TAG_MARKER),
    resolveRevision: async (revision) => {
      const ref = revision === 'HEAD' ? INFRA_BRANCH : revision;
      try {
        return (await inRepo(repoPath, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
      } catch {
        return undefined;
      }
    },
    resolveImage: async (revision, name) => {
      const app = SANDBOX_APPLICATIONS.find((a) => a.name === name);
      return app ? imageAt(repoPath, app, revision) : undefined;
    },
  });

  // Every application starts Synced and Healthy on the branch head: what was deployed before Runway came.
  const head = await branchHead(repoPath, INFRA_BRANCH);
  if (!head) throw new Error(`the sandbox infra repository ${repoPath} has no ${INFRA_BRANCH} branch`);
  for (const app of SANDBOX_APPLICATIONS) {
    argocd.addApp(app.name, { revision: head, image: await imageAt(repoPath, app, head), automated: app.automated });
  }

  await addHelloRollout(argocd, repoPath, head, options.timing);

  // The "UI": every application, with buttons that break, heal or sync one by hand (argocd-page.ts).
  argocd.http.route('GET', '/applications', () => ({
    status: 200,
    body: sandboxArgoCdPage(
      argocd,
      SANDBOX_APPLICATIONS.map((a) => a.name),
      options.slackPageUrl ?? 'http://localhost:8080/sandbox/slack',
    ),
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  }));
  // Argo CD's UI link (appUrl) lands here: the application as JSON instead of a 404.
  argocd.http.route('GET', '/applications/:name', (_req, p) => {
    const known = SANDBOX_APPLICATIONS.some((a) => a.name === p.name);
    if (!known) return { status: 404, body: { message: `no application ${p.name}` } };
    const { metadata, spec, status } = argocd.app(p.name!);
    return { status: 200, body: { name: metadata.name, syncPolicy: spec.syncPolicy ?? 'manual', ...status } };
  });
  return argocd;
}

/**
 * hello-production is an Argo Rollouts canary: the Rollout's steps, replicas and progress deadline come from
 * apps/hello/production/rollout.yaml at the branch head (a repository from before it falls back to the same plan).
 */
async function addHelloRollout(argocd: FakeArgoCd, repoPath: string, head: string, timing?: ArgoTiming): Promise<void> {
  const app = SANDBOX_APPLICATIONS.find((a) => a.name === 'hello-production')!;
  let spec: {
    replicas?: number;
    progressDeadlineSeconds?: number;
    strategy?: { canary?: { steps?: FakeCanaryStep[] } };
  } = {};
  try {
    spec = (parse(await showFile(repoPath, head, ROLLOUT_FILE)) as { spec?: typeof spec } | null)?.spec ?? {};
  } catch {
    // no rollout.yaml yet: the default plan below
  }
  const rollouts = new FakeArgoRollouts({
    // Pods take about as long as a Deployment's rollout here; tests shrink it with the rest of Argo CD's timing.
    podReadyMs: Math.max(Math.round((timing?.healthyAfterMs ?? 2_000) / 2), 10),
    isBadImage: (image) => tagOf(image).includes(BAD_TAG_MARKER),
  });
  argocd.attachRollouts(rollouts);
  const close = argocd.close.bind(argocd);
  argocd.close = async () => {
    rollouts.close();
    await close();
  };
  rollouts.add({
    application: app.name,
    name: 'hello',
    namespace: 'hello',
    replicas: spec.replicas ?? 9,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 5,
    image: await imageAt(repoPath, app, head),
    canary: {
      steps: spec.strategy?.canary?.steps ?? [
        { setWeight: 11 },
        { pause: {} },
        { setWeight: 33 },
        { pause: {} },
        { setWeight: 100 },
      ],
    },
  });
}
