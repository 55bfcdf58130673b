/**
 * The sandbox: the outside systems Runway talks to, run locally, so `make dev` works with no GitLab,
 * Argo CD or Slack at all. Runway itself runs unchanged, with its REAL clients pointed at:
 *
 * - GitLab (FakeGitLab, http://127.0.0.1:8081): project `sandbox/hello`, branch `main`; every merge request
 *   iid exists, so release notes can be written on any MR a webhook names.
 * - Argo CD (FakeArgoCd REST, http://127.0.0.1:8082): `hello-staging` and `hello-production`, following the
 *   infra repo. A synced image whose tag contains `bad` ends Degraded, anything else Healthy after ~2 s.
 * - Slack (SlackFake, http://127.0.0.1:8083/api/): channel `#releases`. Read it, and click Approve / Reject,
 *   at http://localhost:8080/sandbox/slack (see slack-page.ts).
 * - A registry (http://127.0.0.1:8084) where every tag exists: there is no CI in the sandbox, so every
 *   release finds its image already built and skips the pipeline wait. Except a commit starting `fa11`:
 *   its image is never pushed, and `fa11edc0ffee…` has a failed pipeline (see gitlab-web.ts).
 * - The infra repo: a real bare git repository at `<dataDir>/infra.git`, kept across restarts (delete
 *   the directory to start over). `git --git-dir=.data/sandbox/infra.git log -p` shows Runway's commits.
 *
 * Start a release with the Merge button of the sandbox GitLab's project page (http://127.0.0.1:8081/sandbox/hello,
 * gitlab-merge.ts: a real commit, then the webhook), or by telling Runway a merge request was merged (any 40-hex
 * sha; one starting `bad`, e.g. `bad0c0ffee…`, deploys a Degraded image and shows a rollback):
 *
 *   curl -s localhost:8080/webhooks/gitlab -H 'Content-Type: application/json' \
 *     -H 'X-Gitlab-Event: Merge Request Hook' -H 'X-Gitlab-Token: sandbox-secret' \
 *     -d '{"object_kind":"merge_request","project":{"id":1,"path_with_namespace":"sandbox/hello"},
 *          "object_attributes":{"iid":1,"title":"Say hello","action":"merge","target_branch":"main",
 *          "merge_commit_sha":"0123456789abcdef0123456789abcdef01234567"}}'
 *
 * Staging deploys on its own; production waits for Approve in the sandbox Slack page (as `admin`; acting
 * as `U0INTRUDER` shows the refusal). The infra repo and the Slack channel (`<dataDir>/slack.json`) are
 * kept across restarts, so a release waiting for approval keeps its buttons. Every port can be set from
 * the environment (sandboxPortsFromEnv in overlay.ts).
 */
import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FakeArgoCd } from '../fakes/argocd.js';
import { FakeGitLab, type FakeNote } from '../fakes/gitlab.js';
import type { HttpFake } from '../fakes/http-fake.js';
import { SlackFake } from '../fakes/slack.js';
import { createSandboxArgoCd, type ArgoTiming } from './argocd.js';
import { ensureInfraRepo, SEED_TAG } from './infra-repo.js';
import { addMergeButton } from './gitlab-merge.js';
import {
  DEFAULT_SANDBOX_PORTS,
  SANDBOX_CHANNEL,
  SANDBOX_PROJECT,
  SANDBOX_SECOND_PROJECT,
  SANDBOX_SECRETS,
  sandboxConfigOverlay,
  type SandboxConfigOverlay,
  type SandboxPorts,
} from './overlay.js';
import { createRegistryFake } from './registry.js';
import { addFailedPipeline, addGitLabWebPages, buildFails, FAILING_BUILD_SHA } from './gitlab-web.js';
import { SANDBOX_PORT_ENV } from './overlay.js';
import { persistSlack } from './slack-store.js';

export { DEFAULT_SANDBOX_PORTS, SANDBOX_SECRETS, type SandboxConfigOverlay, type SandboxPorts } from './overlay.js';

export interface SandboxOptions {
  /** Where the infra repo and the git driver's cache live, e.g. `.data/sandbox`. */
  dataDir: string;
  /** Listening ports on 127.0.0.1; 0 picks a free one (tests). Defaults: DEFAULT_SANDBOX_PORTS. */
  ports?: Partial<SandboxPorts>;
  /** Fake Argo CD controller speed (tests make it faster). */
  argocdTiming?: ArgoTiming;
  /** Told about background problems (e.g. saving the Slack channel failed). */
  onError?: (err: Error) => void;
  /**
   * Where Runway's API answers (default http://localhost:8080): the projects' webhook points at its
   * `/webhooks/gitlab`, and the Argo CD page links to its Slack page.
   */
  runwayUrl?: string;
}

export interface Sandbox {
  /** Merge into the sandbox runway.yaml (see config.ts) to run Runway's real clients against the fakes. */
  configOverlay: SandboxConfigOverlay;
  gitlabFake: FakeGitLab;
  argocd: FakeArgoCd;
  slackFake: SlackFake;
  registryFake: HttpFake;
  /** The bare infra repository. */
  repoPath: string;
  /** True when this start created and seeded the repository, false when it reused one. */
  repoCreated: boolean;
  /** Channel names the Slack page shows. */
  slackChannels: string[];
  /** The ports actually bound. */
  ports: SandboxPorts;
  close(): Promise<void>;
}

/** Every merge request exists: a webhook may name any iid, and the note upsert must find it. */
class AnyMergeRequest extends Map<number, FakeNote[]> {
  override get(iid: number): FakeNote[] | undefined {
    if (Number.isSafeInteger(iid) && iid > 0 && !this.has(iid)) this.set(iid, []);
    return super.get(iid);
  }
}

/** A fixed port already taken would otherwise surface as an unhandled 'error' event from the fake. */
function assertPortFree(port: number, what: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${err.code ?? err.message})`;
      const variable = SANDBOX_PORT_ENV[what as keyof typeof SANDBOX_PORT_ENV];
      const how = variable ? `, e.g. ${variable}=0 (any free port) or ${variable}=${port + 100}` : '';
      reject(
        new Error(
          `sandbox ${what}: port ${port} on 127.0.0.1 ${why}; stop the other process or choose another port${how}`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

const portOf = (url: string): number => Number(new URL(url).port);
const DEFAULT_RUNWAY_URL = 'http://localhost:8080';

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dataDir = path.resolve(options.dataDir);
  const wanted: SandboxPorts = { ...DEFAULT_SANDBOX_PORTS, ...options.ports };
  const runwayUrl = options.runwayUrl ?? DEFAULT_RUNWAY_URL;
  for (const [what, port] of Object.entries(wanted)) await assertPortFree(port, what);
  await mkdir(dataDir, { recursive: true });
  const repoPath = path.join(dataDir, 'infra.git');
  const repo = await ensureInfraRepo(repoPath);

  const stops: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const gitlabFake = new FakeGitLab({ tokens: { [SANDBOX_SECRETS.gitlabToken]: 'write' } });
    const project = gitlabFake.addProject({
      path: SANDBOX_PROJECT,
      defaultBranch: 'main',
      files: { 'README.md': '# hello\n\nThe sandbox service Runway releases.\n' },
    });
    project.mergeRequests = new AnyMergeRequest(project.mergeRequests);
    addFailedPipeline(gitlabFake, project, FAILING_BUILD_SHA);
    const second = gitlabFake.addProject({ path: SANDBOX_SECOND_PROJECT, defaultBranch: 'main' });
    second.mergeRequests = new AnyMergeRequest(second.mergeRequests);
    // The version the seed manifests run is a tag of each project's first commit: the first release's notes
    // compare it with the merged commit.
    for (const p of [project, second]) gitlabFake.addTag(p.id, SEED_TAG, p.branches.get(p.defaultBranch)!);
    // The webhook a real project would have, so Runway's merge catch-up finds it healthy; the Merge button
    // of the project page (gitlab-merge.ts) delivers to it.
    const webhookUrl = new URL('/webhooks/gitlab', runwayUrl).href;
    for (const p of [SANDBOX_PROJECT, SANDBOX_SECOND_PROJECT]) {
      gitlabFake.addProjectHook(p, { url: webhookUrl, pipelineEvents: true });
    }
    addGitLabWebPages(gitlabFake, SANDBOX_PROJECT);
    addMergeButton(gitlabFake, {
      projectPath: SANDBOX_PROJECT,
      webhookUrl,
      webhookSecret: SANDBOX_SECRETS.webhookSecret,
    });
    await gitlabFake.listen(wanted.gitlab);
    stops.push(() => gitlabFake.close());

    const slackFake = new SlackFake({
      tokens: [SANDBOX_SECRETS.slackBotToken],
      channels: [{ ...SANDBOX_CHANNEL }],
      team: { id: 'T0SANDBOX', name: 'Runway Sandbox' },
      // Real timestamps, as Slack's: the page shows when each message was posted, and a restored channel
      // (slack-store.ts) never hands out a ts an earlier run already used.
      clock: Date.now,
    });
    const slackStore = await persistSlack(slackFake, dataDir, { onError: options.onError });
    stops.push(() => slackStore.close());
    await slackFake.listen(wanted.slack);
    stops.push(() => slackFake.close());

    const registryFake = createRegistryFake({ isMissing: (_name, reference) => buildFails(reference) });
    await registryFake.listen(wanted.registry);
    stops.push(() => registryFake.close());

    const argocd = await createSandboxArgoCd({
      repoPath,
      token: SANDBOX_SECRETS.argocdToken,
      timing: options.argocdTiming,
      slackPageUrl: new URL('/sandbox/slack', runwayUrl).href,
    });
    await argocd.http.listen(wanted.argocd);
    stops.push(() => argocd.close());

    const ports: SandboxPorts = {
      gitlab: portOf(gitlabFake.url),
      argocd: portOf(argocd.url),
      slack: portOf(slackFake.apiUrl),
      registry: portOf(registryFake.url),
    };
    return {
      configOverlay: sandboxConfigOverlay({ dataDir, repoPath, ports }),
      gitlabFake,
      argocd,
      slackFake,
      registryFake,
      repoPath,
      repoCreated: repo.created,
      slackChannels: [SANDBOX_CHANNEL.name],
      ports,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
