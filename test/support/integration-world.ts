// A whole outside world for Runway, reached only through the REAL clients: FakeGitLab (gitbeaker), a real
// local bare git repository (the `git` infra driver), FakeArgoCd (REST or Kubernetes driver) acting as a
// controller that follows that repository, a real docker-registry (the registry client) and SlackFake
// (@slack/web-api). Tests and the sandbox build one with createIntegrationWorld() and hand `deps()` to a worker.
import type { WorldAddress } from '../../chaos/world-ports.js';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/index.js';
import type { ArgoCdPort, InfraRepoPort } from '../../activities/ports.js';
import { createArgoCdApiClient } from '../../integrations/argocd-api.js';
import { createArgoCdKubernetesClient } from '../../integrations/argocd-kubernetes.js';
import { createGitLabClient } from '../../integrations/gitlab.js';
import { createGitInfraRepo } from '../../integrations/infra-git.js';
import { createGitLabInfraRepo } from '../../integrations/infra-gitlab.js';
import { createRegistryClient } from '../../integrations/registry.js';
import { createSlackNotifier } from '../../integrations/slack.js';
import { formatImageRef, readImage } from '../../domain/manifest/index.js';
import type { ManifestTarget, ReleasePlan } from '../../domain/types.js';
import { FakeArgoCd, type FakeArgoCdOptions, type FakeAppInit } from '../../fakes/argocd.js';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';
import { DEFAULT_FAKE_SLACK_TOKEN, SlackFake } from '../../fakes/slack.js';
import { startDockerRegistry, type DockerRegistry } from './docker-registry.js';
import { testPlan } from './plans.js';
import type { PushedImage } from './registry-push.js';

const run = promisify(execFile);

export const RELEASES_CHANNEL = { id: 'C0RELEASES', name: 'releases' };
export const APPROVALS_CHANNEL = { id: 'C0PRODAPPROVALS', name: 'prod-approvals' };
export const ARGOCD_UI_URL = 'https://argocd.example.com';
export const MERGE_REQUEST_IID = 42;
/** Who may approve production in plans from `world.plan()`. */
export const APPROVERS = ['U0ALICE', 'bob'] as const;
const BRANCH = 'main';

export interface IntegrationWorldOptions {
  /** Services to seed (GitLab project `acme/<name>`, manifests, Argo CD apps). Default: one random name. */
  services?: string[];
  /** The image every environment runs before the first release (also pushed to the registry). */
  previousTag?: string;
  /** Which Argo CD driver `deps()` uses: the REST API (default) or the Application resource via Kubernetes. */
  argocdDriver?: 'api' | 'kubernetes';
  /** Fake Argo CD controller speed. */
  argocdTiming?: { pickupMs?: number; operationMs?: number; healthyAfterMs?: number };
  /**
   * Tags with this as a dash-separated part (`1a2b3c4d-bad`) are rolled out Degraded by the fake controller.
   * Default `bad`. Not a plain substring: a random hex commit sha would contain `bad` about once in a hundred.
   */
  badTagMarker?: string;
  /** Which infra driver plans use: a real bare git repo (default) or a project in the fake GitLab. */
  infraDriver?: 'git' | 'gitlab';
  /** Applications (names) created with `syncPolicy.automated`; `true`: all of them. */
  autoSync?: boolean | string[];
  /** The fake controller's own refresh interval (0: only on request). */
  argocdPollMs?: number;
  /** Per application: how the fake creates it (namespace, extra sources, project, …). */
  appOptions?: Record<string, Partial<FakeAppInit>>;
  /** Namespaces besides Argo CD's own that Applications may live in. */
  argocdAppNamespaces?: string[];
  /** The Slack fake enforces Slack's published rate limits (fakes/slack-rate-limits.ts). */
  slackRateLimits?: boolean;
}

/** The infra repository's GitLab project (infraDriver: gitlab). */
export const INFRA_PROJECT = 'acme/infra';

export interface WorldEnvironment {
  name: 'staging' | 'production';
  target: ManifestTarget;
  application: string;
}

export interface WorldService {
  name: string;
  /** GitLab project path, also the plan's project id. */
  project: string;
  /** `<registry host>/acme/<name>` */
  imageRepository: string;
  environments: WorldEnvironment[];
}

export interface InfraRepo {
  /** The bare repository on disk. */
  path: string;
  /** What plans use as `infra.repository` (a file:// URL). */
  url: string;
  branch: string;
  /** The commit the repository was seeded with. */
  seedCommit: string;
  /** Runs git in the bare repository and returns stdout. */
  git(...args: string[]): Promise<string>;
  head(): Promise<string>;
  /** A file's text at a revision (`git show <rev>:<file>`). */
  show(revision: string, file: string): Promise<string>;
  /** Commits of `range` (default: the whole branch), oldest first, with full messages and changed files. */
  log(range?: string): Promise<InfraCommit[]>;
}

export interface InfraCommit {
  sha: string;
  subject: string;
  message: string;
  trailers: Record<string, string>;
  files: string[];
}

export interface IntegrationWorld {
  services: WorldService[];
  service(name: string): WorldService;
  gitlab: FakeGitLab;
  argocd: FakeArgoCd;
  /** How a fake Argo CD follows this world's infra repo: for a second instance (another cluster). */
  argocdFollower: Pick<FakeArgoCdOptions, 'repoURL' | 'resolveImage' | 'resolveRevision' | 'isBadImage'>;
  /** The commit every app was last synced to at the start. */
  initialRevision: string;
  slack: SlackFake;
  registry: DockerRegistry;
  infra: InfraRepo;
  /** Seeded manifest texts, by file. */
  seedFiles: Record<string, string>;
  previousTag: string;
  /** The real clients, pointed at this world. */
  ports: Omit<ActivityDeps, 'temporal' | 'taskQueue'>;
  deps(temporal: Client, taskQueue: string): ActivityDeps;
  /** A release plan for `service` at `sha`: staging automatic, production behind approval, short timings. */
  plan(service: string, overrides?: Partial<ReleasePlan> & { sha?: string }): ReleasePlan;
  /** Pushes a tiny image `acme/<service>:<tag>` to the registry. */
  pushImage(service: string, tag: string): Promise<PushedImage>;
  close(): Promise<void>;
}

export function stagingKustomization(repository: string, tag: string, service: string): string {
  return `# Staging overlay for ${service}. Runway bumps newTag below; keep the rest by hand.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${service}-staging
resources:
  - ../base # the shared Deployment and Service
images:
  # the service image, set by Runway on every release
  - name: ${repository}
    newTag: ${tag} # current release
`;
}

export function productionValues(repository: string, tag: string, service: string): string {
  return `# Production Helm values for ${service}.
replicaCount: 3 # three replicas for the SLO

image:
  repository: ${repository} # built by CI
  tag: ${tag} # set by Runway
  pullPolicy: IfNotPresent

resources:
  limits:
    memory: 256Mi # measured peak plus headroom
`;
}

/** Starts every fake, the registry and a seeded bare repository; `close()` stops them all. */
export async function createIntegrationWorld(options: IntegrationWorldOptions = {}): Promise<IntegrationWorld> {
  const previousTag = options.previousTag ?? 'v1.0.0';
  const badMarker = options.badTagMarker ?? 'bad';
  const names = options.services ?? [`svc-${Math.random().toString(36).slice(2, 10)}`];
  const root = await mkdtemp(path.join(tmpdir(), 'runway-world-'));
  const cleanups: (() => Promise<void>)[] = [async () => rm(root, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const registry = await startDockerRegistry();
    cleanups.push(() => registry.stop());

    const gitlab = new FakeGitLab();
    await gitlab.listen();
    cleanups.push(() => gitlab.close());

    const slack = new SlackFake({
      channels: [RELEASES_CHANNEL, APPROVALS_CHANNEL],
      rateLimits: options.slackRateLimits ?? false,
    });
    await slack.listen();
    cleanups.push(() => slack.close());

    const services: WorldService[] = names.map((name) => {
      const imageRepository = `${registry.host}/acme/${name}`;
      return {
        name,
        project: `acme/${name}`,
        imageRepository,
        environments: [
          {
            name: 'staging',
            target: { kind: 'kustomize', file: `apps/${name}/staging/kustomization.yaml`, name: imageRepository },
            application: `${name}-staging`,
          },
          {
            name: 'production',
            target: {
              kind: 'helm',
              file: `apps/${name}/production/values.yaml`,
              tagPath: 'image.tag',
              repositoryPath: 'image.repository',
            },
            application: `${name}-production`,
          },
        ],
      };
    });

    // ---- the infra repository: a real bare repo, seeded through a throwaway clone ----
    const seedFiles: Record<string, string> = {};
    for (const s of services) {
      seedFiles[s.environments[0]!.target.file] = stagingKustomization(s.imageRepository, previousTag, s.name);
      seedFiles[s.environments[1]!.target.file] = productionValues(s.imageRepository, previousTag, s.name);
    }
    const infra = await seedInfraRepo(root, seedFiles);
    const viaGitLab = options.infraDriver === 'gitlab';
    if (viaGitLab) gitlab.addProject({ path: INFRA_PROJECT, files: seedFiles });

    // ---- Argo CD: a controller following the infra repo ----
    const applications = new Map<string, { target: ManifestTarget; repository: string }>();
    for (const s of services) {
      for (const env of s.environments)
        applications.set(env.application, { target: env.target, repository: s.imageRepository });
    }
    // What the repo server sees: the bare repo (git driver) or the fake GitLab project (gitlab driver).
    const readFile = async (revision: string, file: string): Promise<string> => {
      if (!viaGitLab) return infra.show(revision, file);
      const text = gitlab.fileAt(INFRA_PROJECT, file, revision);
      if (text === undefined) throw new Error(`${file} not found at ${revision}`);
      return text;
    };
    const resolveRevision = async (revision: string): Promise<string | undefined> => {
      if (viaGitLab) {
        const project = gitlab.project(INFRA_PROJECT);
        const ref = revision === 'HEAD' ? project.defaultBranch : revision;
        return project.branches.get(ref) ?? (project.commits.has(ref) ? ref : undefined);
      }
      try {
        return (await infra.git('rev-parse', '--verify', '--quiet', `${revision}^{commit}`)).trim() || undefined;
      } catch {
        return undefined;
      }
    };
    const argocdFollower: IntegrationWorld['argocdFollower'] = {
      repoURL: viaGitLab ? `${gitlab.url}/${INFRA_PROJECT}.git` : infra.url,
      isBadImage: (image) => tagOf(image).split('-').includes(badMarker),
      resolveRevision,
      resolveImage: async (revision, app) => {
        const found = applications.get(app);
        if (!found) return undefined;
        return formatImageRef(readImage(await readFile(revision, found.target.file), found.target, found.repository));
      },
    };
    const argocd = new FakeArgoCd({
      ...options.argocdTiming,
      ...argocdFollower,
      pollMs: options.argocdPollMs ?? 0,
      appNamespaces: options.argocdAppNamespaces,
    });
    await argocd.listen();
    cleanups.push(() => argocd.close());
    const automated = (name: string) =>
      options.autoSync === true || (Array.isArray(options.autoSync) && options.autoSync.includes(name));
    // The GitLab project has its own commit ids: there every app starts on its head.
    const initialRevision = viaGitLab ? gitlab.project(INFRA_PROJECT).branches.get('main')! : infra.seedCommit;
    for (const s of services) {
      for (const env of s.environments) {
        argocd.addApp(env.application, {
          revision: initialRevision,
          image: `${s.imageRepository}:${previousTag}`,
          automated: automated(env.application),
          ...options.appOptions?.[env.application],
        });
      }
    }

    // ---- GitLab: one project per service, with the merge request releases comment on ----
    for (const s of services) {
      gitlab.addProject({ path: s.project });
      gitlab.addMergeRequest(s.project, MERGE_REQUEST_IID);
    }

    // ---- the previous image, so a rollback target exists in the registry too ----
    for (const s of services) await registry.push(`acme/${s.name}`, previousTag);

    // ---- the real clients ----
    const infraDriver: InfraRepoPort = viaGitLab
      ? createGitLabInfraRepo({
          url: gitlab.url,
          token: FAKE_GITLAB_TOKEN,
          requestTimeoutMs: 5_000,
          authorName: 'Runway',
          authorEmail: 'runway@example.com',
        })
      : createGitInfraRepo({
          cacheDir: path.join(root, 'cache'),
          authorName: 'Runway',
          authorEmail: 'runway@example.com',
        });
    const argocdPort: ArgoCdPort =
      options.argocdDriver === 'kubernetes'
        ? createArgoCdKubernetesClient({
            kubeConfig: await kubeConfigFor(argocd.url, argocd.token),
            namespace: argocd.namespace,
            uiUrl: ARGOCD_UI_URL,
          })
        : createArgoCdApiClient({ url: argocd.url, token: argocd.token, uiUrl: ARGOCD_UI_URL });
    const ports: IntegrationWorld['ports'] = {
      registry: createRegistryClient({ insecureHosts: [registry.host], timeoutMs: 5_000 }),
      gitlab: createGitLabClient({ url: gitlab.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 }),
      infra: (location) => {
        const wanted = viaGitLab ? 'gitlab' : 'git';
        if (location.driver !== wanted)
          throw new Error(`this world has the ${wanted} infra driver, not ${location.driver}`);
        return infraDriver;
      },
      argocd: argocdPort,
      notifier: createSlackNotifier({
        token: DEFAULT_FAKE_SLACK_TOKEN,
        apiUrl: slack.apiUrl,
        defaultChannel: `#${RELEASES_CHANNEL.name}`,
        retryBaseMs: 50,
        timeoutMs: 5_000,
      }),
    };

    const service = (name: string): WorldService => {
      const found = services.find((s) => s.name === name);
      if (!found) throw new Error(`no service ${name} in this world`);
      return found;
    };

    return {
      services,
      service,
      gitlab,
      argocd,
      argocdFollower,
      initialRevision,
      slack,
      registry,
      infra,
      seedFiles,
      previousTag,
      ports,
      deps: (temporal, taskQueue) => ({ ...ports, temporal, taskQueue }),
      plan: (name, overrides = {}) => {
        const s = service(name);
        const base = testPlan({ service: name, sha: overrides.sha });
        const { sha: _sha, ...rest } = overrides;
        return {
          ...base,
          project: { id: s.project, webUrl: `${gitlab.url}/${s.project}` },
          mergeRequest: {
            iid: MERGE_REQUEST_IID,
            title: 'Add a feature',
            url: `${gitlab.url}/${s.project}/-/merge_requests/${MERGE_REQUEST_IID}`,
          },
          image: { repository: s.imageRepository, tag: base.commit.sha },
          infra: viaGitLab
            ? { driver: 'gitlab', repository: INFRA_PROJECT, branch: 'main' }
            : { driver: 'git', repository: infra.url, branch: infra.branch },
          environments: base.environments.map((env) => {
            const mine = s.environments.find((e) => e.name === env.name)!;
            // Approvers as Slack user ids (so messages mention them) plus a username.
            const approval = env.approval && { ...env.approval, approvers: [...APPROVERS] };
            return { ...env, target: mine.target, argocd: { application: mine.application }, approval };
          }),
          notify: { channel: `#${RELEASES_CHANNEL.name}` },
          ...rest,
        };
      },
      pushImage: (name, tag) => registry.push(`acme/${service(name).name}`, tag),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** `host:port/a/b:tag` → `tag` (empty when there is none). */
function tagOf(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon === -1 ? '' : last.slice(colon + 1).split('@')[0]!;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=Platform Team', '-c', 'user.email=platform@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd, env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

async function seedInfraRepo(root: string, files: Record<string, string>): Promise<InfraRepo> {
  const bare = path.join(root, 'infra.git');
  const seed = path.join(root, 'seed');
  await git(root, 'init', '--quiet', '--bare', `--initial-branch=${BRANCH}`, bare);
  await git(root, 'init', '--quiet', `--initial-branch=${BRANCH}`, seed);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(seed, file)), { recursive: true });
    await writeFile(path.join(seed, file), text);
  }
  await git(seed, 'add', '--all');
  await git(seed, 'commit', '--quiet', '-m', 'Seed the infra repository');
  await git(seed, 'push', '--quiet', bare, `HEAD:refs/heads/${BRANCH}`);
  await rm(seed, { recursive: true, force: true });

  const inBare = (...args: string[]) => git(bare, ...args);
  const head = async () => (await inBare('rev-parse', BRANCH)).trim();
  return {
    path: bare,
    url: `file://${bare}`,
    branch: BRANCH,
    seedCommit: await head(),
    git: inBare,
    head,
    show: (revision, file) => inBare('show', `${revision}:${file}`),
    log: async (range = BRANCH) => {
      // NUL between fields, RS between commits; --name-only appends the changed files after the body.
      const out = await inBare('log', '--reverse', '--format=%x1e%H%x00%s%x00%B%x00', '--name-only', range);
      return out
        .split('\x1e')
        .filter((entry) => entry.trim())
        .map((entry) => {
          const [sha = '', subject = '', message = '', files = ''] = entry.split('\x00');
          return {
            sha,
            subject,
            message: message.trim(),
            trailers: trailers(message),
            files: files.split('\n').filter(Boolean),
          };
        });
    },
  };
}

/** `Key: value` lines of the message's last paragraph. */
function trailers(message: string): Record<string, string> {
  const last =
    message
      .trim()
      .split(/\n\s*\n/)
      .pop() ?? '';
  const out: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** A kubeconfig for the fake's Kubernetes route, as a user of Runway would write one by hand. */
async function kubeConfigFor(server: string, token: string) {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake-argocd', server, skipTLSVerify: true }],
    users: [{ name: 'runway', token }],
    contexts: [{ name: 'fake-argocd', cluster: 'fake-argocd', user: 'runway', namespace: 'argocd' }],
    currentContext: 'fake-argocd',
  });
  return kc;
}

/**
 * Where a worker in another process (chaos/worker-process.ts) finds this world: its fakes' URLs and tokens, and its
 * own working clones of the infra repo (one directory per worker process, as a pod's emptyDir).
 */
export function worldAddress(world: IntegrationWorld, infraCacheDir: string): WorldAddress {
  return {
    gitlabUrl: world.gitlab.url,
    gitlabToken: FAKE_GITLAB_TOKEN,
    slackApiUrl: world.slack.apiUrl,
    slackToken: DEFAULT_FAKE_SLACK_TOKEN,
    defaultChannel: RELEASES_CHANNEL.id,
    argocdUrl: world.argocd.url,
    argocdToken: world.argocd.token,
    argocdUiUrl: ARGOCD_UI_URL,
    registryHost: world.registry.host,
    infraCacheDir,
  };
}
