// The sandbox Argo CD: FakeArgoCd with a controller that follows the infra repository. A sync to a commit
// reads the application's manifest at that commit (`git show <rev>:<file>`); an image whose tag contains
// `bad` rolls out Degraded, anything else Healthy, about two seconds after the sync.
import { FakeArgoCd } from '../fakes/argocd.js';
import { formatImageRef, readImage } from '../domain/manifest/index.js';
import type { ManifestTarget } from '../domain/types.js';
import { INFRA_BRANCH, PRODUCTION_FILE, SEED_IMAGE, branchHead, showFile, STAGING_FILE } from './infra-repo.js';

export interface SandboxApplication {
  name: string;
  /** How the cluster reads the deployed image out of the manifest. */
  target: ManifestTarget;
}

/** What each Argo CD application renders. Helm reads the repository too: the cluster runs what the file says. */
export const SANDBOX_APPLICATIONS: readonly SandboxApplication[] = [
  { name: 'hello-staging', target: { kind: 'kustomize', file: STAGING_FILE, name: SEED_IMAGE } },
  {
    name: 'hello-production',
    target: { kind: 'helm', file: PRODUCTION_FILE, tagPath: 'image.tag', repositoryPath: 'image.repository' },
  },
];

export interface ArgoTiming {
  /** Before the controller picks up a sync. */
  pickupMs?: number;
  /** How long a sync operation runs. */
  operationMs?: number;
  /** How long health stays Progressing after the sync. */
  healthyAfterMs?: number;
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
  return formatImageRef(readImage(text, app.target, SEED_IMAGE));
}

export async function createSandboxArgoCd(options: {
  repoPath: string;
  token: string;
  timing?: ArgoTiming;
}): Promise<FakeArgoCd> {
  const { repoPath } = options;
  const argocd = new FakeArgoCd({
    token: options.token,
    pickupMs: options.timing?.pickupMs ?? 200,
    operationMs: options.timing?.operationMs ?? 800,
    healthyAfterMs: options.timing?.healthyAfterMs ?? 2_000,
    isBadImage: (image) => tagOf(image).includes(BAD_TAG_MARKER),
  });
  // The fake asks by revision only; the application it is finishing a sync for is the one whose
  // operation is Running towards that revision (or towards no revision in particular: the branch head).
  argocd.resolveImage = async (revision) => {
    const app = SANDBOX_APPLICATIONS.find((a) => {
      const state = argocd.app(a.name).status.operationState;
      const wanted = state?.operation.sync?.revision;
      return state?.phase === 'Running' && (wanted === revision || wanted === undefined);
    });
    return app ? imageAt(repoPath, app, revision) : undefined;
  };

  // Every application starts Synced and Healthy on the branch head: what was deployed before Runway came.
  const head = await branchHead(repoPath, INFRA_BRANCH);
  if (!head) throw new Error(`the sandbox infra repository ${repoPath} has no ${INFRA_BRANCH} branch`);
  for (const app of SANDBOX_APPLICATIONS) {
    argocd.addApp(app.name, { revision: head, image: await imageAt(repoPath, app, head) });
  }

  // Argo CD's UI link (appUrl) lands here: the application as JSON instead of a 404.
  argocd.http.route('GET', '/applications/:name', (_req, p) => {
    const known = SANDBOX_APPLICATIONS.some((a) => a.name === p.name);
    if (!known) return { status: 404, body: { message: `no application ${p.name}` } };
    const { metadata, status } = argocd.app(p.name!);
    return { status: 200, body: { name: metadata.name, ...status } };
  });
  return argocd;
}
