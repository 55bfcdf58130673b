// The sandbox infra repository: a real bare git repository on disk that the `git` infra driver pushes to
// and the sandbox Argo CD reads from. Seeded once; later starts reuse it, so release history survives.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const INFRA_BRANCH = 'main';
/** The image name the seed manifests use (kustomize `images[].name`, Helm `image.repository`). */
export const SEED_IMAGE = 'registry.sandbox.local/sandbox/hello';
export const SEED_TAG = 'v0.1.0';
export const STAGING_FILE = 'apps/hello/staging/kustomization.yaml';
export const PRODUCTION_FILE = 'apps/hello/production/values.yaml';
/** hello's production Rollout (Argo Rollouts): its canary steps live here, Runway never rewrites them. */
export const ROLLOUT_FILE = 'apps/hello/production/rollout.yaml';
/** The second sandbox service, `world`: it shares this repository (and its branch) with `hello`. */
export const WORLD_IMAGE = 'registry.sandbox.local/sandbox/world';
export const WORLD_STAGING_FILE = 'apps/world/staging/kustomization.yaml';

export function seedFiles(): Record<string, string> {
  return {
    'README.md': `# Sandbox infra repository

Runway's sandbox deploys \`hello\` by committing image bumps here; the sandbox Argo CD syncs from it.
Try \`git log --format='%h %s%n%b'\` in this bare repository to see Runway's commits and trailers.
`,
    [STAGING_FILE]: `# Staging overlay for hello, the sandbox service.
# Runway edits the images entry below on every release; the rest of this file is yours.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: hello-staging
resources:
  - ../base # the Deployment and Service every environment shares
images:
  # the image the base Deployment names; Runway sets newTag (and newName when the registry differs)
  - name: ${SEED_IMAGE}
    newTag: ${SEED_TAG} # the release running in staging
`,
    [WORLD_STAGING_FILE]: `# Staging overlay for world, the second sandbox service (same repository, same branch as hello).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: world-staging
resources:
  - ../base
images:
  - name: ${WORLD_IMAGE}
    newTag: ${SEED_TAG} # the release running in staging
`,
    [ROLLOUT_FILE]: `# hello in production is an Argo Rollouts canary: one pod, then a third, then all.
# Runway runs its checks and asks an approver at each pause (runway.yaml: rollout, canary); edit the steps here.
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: hello
  namespace: hello
spec:
  replicas: 9
  progressDeadlineSeconds: 5 # sandbox pods that never start (a tag with "bad") fail fast
  strategy:
    canary:
      steps:
        - setWeight: 11 # one pod of nine
        - pause: {} # Runway: checks, then "Promote to the next step"
        - setWeight: 33 # a third
        - pause: {}
        - setWeight: 100 # everyone
`,
    [PRODUCTION_FILE]: `# Helm values for hello in production.
replicaCount: 9 # the Rollout's replicas (see rollout.yaml for its canary steps)

image:
  repository: ${SEED_IMAGE} # where CI pushes the image
  tag: ${SEED_TAG} # set by Runway once a release is approved
  pullPolicy: IfNotPresent

resources:
  limits:
    memory: 128Mi # hello is small
`,
  };
}

/** Runs git with a clean, non-interactive environment and returns stdout; throws with git's stderr. */
export function git(cwd: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  // Inherited from a surrounding git hook, these would point every command at the wrong repository.
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY']) delete env[key];
  const identity = ['-c', 'user.name=Sandbox', '-c', 'user.email=sandbox@runway.local', '-c', 'commit.gpgsign=false'];
  return new Promise((resolve, reject) => {
    execFile('git', [...identity, ...args], { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const command = args.find((a) => !a.startsWith('-')) ?? '';
      if (error) reject(new Error(`git ${command} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Git inside the bare repository; --git-dir stops git from finding an enclosing repository instead. */
export function inRepo(repoPath: string, args: string[]): Promise<string> {
  return git(repoPath, [`--git-dir=${repoPath}`, ...args]);
}

/** The commit the branch points at, or undefined when the repository is missing or broken. */
export async function branchHead(repoPath: string, branch = INFRA_BRANCH): Promise<string | undefined> {
  try {
    return (await inRepo(repoPath, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim();
  } catch {
    return undefined;
  }
}

/** A file's text at a revision, as Argo CD would render it. */
export function showFile(repoPath: string, revision: string, file: string): Promise<string> {
  return inRepo(repoPath, ['show', `${revision}:${file}`]);
}

/**
 * Creates and seeds the bare repository unless a usable one is already there. A repository whose branch
 * cannot be read is recreated: it is sandbox data, and a half-made one would only confuse the driver.
 */
export async function ensureInfraRepo(repoPath: string): Promise<{ created: boolean; head: string }> {
  const existing = await branchHead(repoPath);
  if (existing) return { created: false, head: await addMissingSeedFiles(repoPath, existing) };

  await rm(repoPath, { recursive: true, force: true });
  await mkdir(repoPath, { recursive: true });
  await git(repoPath, ['init', '--quiet', '--bare', `--initial-branch=${INFRA_BRANCH}`]);

  // Seed through a throwaway working copy: plain porcelain, no plumbing tricks.
  const work = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-seed-'));
  try {
    await git(work, ['init', '--quiet', `--initial-branch=${INFRA_BRANCH}`]);
    for (const [file, text] of Object.entries(seedFiles())) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await writeFile(path.join(work, file), text);
    }
    await git(work, ['add', '--all']);
    await git(work, ['commit', '--quiet', '--no-verify', '-m', 'Seed the sandbox infra repository']);
    await git(work, ['push', '--quiet', repoPath, `HEAD:refs/heads/${INFRA_BRANCH}`]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const head = await branchHead(repoPath);
  if (!head) throw new Error(`seeding the sandbox infra repository at ${repoPath} failed`);
  return { created: true, head };
}

/** A repository seeded by an older sandbox gets the seed files added since (e.g. the second service's). */
async function addMissingSeedFiles(repoPath: string, head: string): Promise<string> {
  const present = new Set((await inRepo(repoPath, ['ls-tree', '-r', '--name-only', head])).split('\n'));
  const missing = Object.entries(seedFiles()).filter(([file]) => !present.has(file));
  if (missing.length === 0) return head;
  const work = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-seed-'));
  try {
    await git(work, ['clone', '--quiet', '--branch', INFRA_BRANCH, repoPath, '.']);
    for (const [file, text] of missing) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await writeFile(path.join(work, file), text);
    }
    await git(work, ['add', '--all']);
    await git(work, ['commit', '--quiet', '--no-verify', '-m', 'Add the newer sandbox seed files']);
    await git(work, ['push', '--quiet', 'origin', `HEAD:refs/heads/${INFRA_BRANCH}`]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return (await branchHead(repoPath)) ?? head;
}
