// The sandbox world: a seeded bare infra repo that survives restarts, fakes reachable through Runway's real
// clients, and an Argo CD that deploys whatever the repo says at the synced commit.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitInfraRepo } from '../../integrations/infra-git.js';
import { createGitLabClient } from '../../integrations/gitlab.js';
import { createRegistryClient } from '../../integrations/registry.js';
import { sandboxConfig } from '../../sandbox/config.js';
import type { FakeApplication } from '../../fakes/argocd.js';
import { git, inRepo, PRODUCTION_FILE, showFile, STAGING_FILE } from '../../sandbox/infra-repo.js';
import { startSandbox, type Sandbox } from '../../sandbox/start.js';

const ANY_PORT = { gitlab: 0, argocd: 0, slack: 0, registry: 0 };
const FAST_ARGO = { pickupMs: 10, operationMs: 30, healthyAfterMs: 60 };

let dataDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-test-'));
  sandbox = await startSandbox({ dataDir, ports: ANY_PORT, argocdTiming: FAST_ARGO });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function argoRest(pathname: string, init: RequestInit = {}): Promise<FakeApplication> {
  const res = await fetch(`${sandbox.configOverlay.argocd.url}${pathname}`, {
    ...init,
    headers: { Authorization: `Bearer ${sandbox.configOverlay.argocd.token}`, 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as FakeApplication;
}

/**
 * Deploys `revision` (the branch head) and waits for health to settle: an auto-sync app is only refreshed (it
 * syncs itself; Argo CD would refuse a revision), a manual one is synced through the REST API.
 */
async function syncAndSettle(application: string, revision: string): Promise<FakeApplication> {
  const before = await argoRest(`/api/v1/applications/${application}`);
  if (before.spec.syncPolicy?.automated) await argoRest(`/api/v1/applications/${application}?refresh=normal`);
  else
    await argoRest(`/api/v1/applications/${application}/sync`, { method: 'POST', body: JSON.stringify({ revision }) });
  const deadline = Date.now() + 10_000;
  let rolling = false;
  for (;;) {
    const app = await argoRest(`/api/v1/applications/${application}`);
    const state = app.status.operationState;
    const ours = state?.phase === 'Succeeded' && state.syncResult?.revision === revision;
    // Right after the operation, health is still the old pods' until Argo CD reconciles (to the second, so the
    // times alone cannot tell here): the new rollout shows Progressing first.
    if (ours && app.status.health.status === 'Progressing') rolling = true;
    if (ours && rolling && app.status.health.status !== 'Progressing') return app;
    if (app.status.operationState?.phase === 'Error') throw new Error(app.status.operationState.message);
    if (Date.now() > deadline) throw new Error(`no settled sync of ${application}: ${JSON.stringify(app.status)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Someone editing the infra repo by hand: clone, change a file, push. */
async function pushEdit(file: string, edit: (text: string) => string, message: string): Promise<string> {
  const work = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-edit-'));
  try {
    await git(work, ['clone', '--quiet', sandbox.repoPath, '.']);
    const full = path.join(work, file);
    await writeFile(full, edit(await showFile(sandbox.repoPath, 'main', file)));
    await git(work, ['commit', '--quiet', '-am', message]);
    await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);
    return (await git(work, ['rev-parse', 'HEAD'])).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe('startSandbox', () => {
  it('creates a bare infra repo with one seed commit holding commented manifests', async () => {
    expect(sandbox.repoCreated).toBe(true);
    expect(sandbox.repoPath).toBe(path.join(dataDir, 'infra.git'));
    expect((await inRepo(sandbox.repoPath, ['rev-parse', '--is-bare-repository'])).trim()).toBe('true');
    const log = await inRepo(sandbox.repoPath, ['log', '--format=%s', 'main']);
    expect(log.trim().split('\n')).toEqual(['Seed the sandbox infra repository']);

    const staging = await showFile(sandbox.repoPath, 'main', STAGING_FILE);
    expect(staging).toContain('- name: registry.sandbox.local/sandbox/hello');
    expect(staging).toMatch(/newTag: v0\.1\.0 # /);
    const production = await showFile(sandbox.repoPath, 'main', PRODUCTION_FILE);
    expect(production).toMatch(/repository: registry\.sandbox\.local\/sandbox\/hello # /);
    expect(production).toMatch(/tag: v0\.1\.0 # /);
  });

  it('yields an overlay that makes config/sandbox.yaml a valid git-driven config', () => {
    const config = sandboxConfig(sandbox.configOverlay, { env: {} });
    const { ports } = sandbox;
    expect(Object.values(ports).every((p) => p > 0)).toBe(true);
    expect(config.gitlab).toMatchObject({
      url: `http://127.0.0.1:${ports.gitlab}`,
      token: 'glpat-sandbox-token',
      webhookSecret: 'sandbox-secret',
    });
    expect(config.argocd).toMatchObject({ driver: 'api', url: `http://127.0.0.1:${ports.argocd}` });
    expect(config.slack).toMatchObject({
      signingSecret: 'sandbox-signing-secret',
      apiUrl: `http://127.0.0.1:${ports.slack}/api/`,
    });
    expect(config.registries).toEqual([{ host: `127.0.0.1:${ports.registry}`, insecure: true }]);
    expect(config.git.cacheDir).toBe(path.join(dataDir, 'git-cache'));

    const hello = config.services.hello!;
    expect(hello.infra).toEqual({ driver: 'git', repository: sandbox.repoPath, branch: 'main' });
    // A second service shares the repository and its branch.
    expect(config.services.world!.infra).toEqual(hello.infra);
    expect(config.services.world!.environments.map((e) => e.argocd.application)).toEqual(['world-staging']);
    expect(hello.image.repository).toBe(`127.0.0.1:${ports.registry}/sandbox/hello`);
    expect(hello.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    expect(hello.environments[0]!.approval).toBeUndefined();
    expect(hello.environments[1]!.approval).toMatchObject({
      channel: '#releases',
      approvers: ['U0SANDBOXADMIN', 'admin'],
    });
  });

  it('answers the real registry and GitLab clients', async () => {
    const { registries, gitlab } = sandbox.configOverlay;
    const registry = createRegistryClient({ insecureHosts: registries.map((r) => r.host) });
    const found = await registry.imageExists({ repository: `${registries[0]!.host}/sandbox/hello`, tag: 'abc1234' });
    expect(found.exists).toBe(true);
    expect(found.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const client = createGitLabClient({ url: gitlab.url, token: gitlab.token });
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const { id } = await client.ensureDeployment({
      projectId: 'sandbox/hello',
      environment: 'staging',
      sha,
      ref: 'main',
    });
    await client.updateDeployment('sandbox/hello', id, 'success');
    // Any merge request a webhook names can carry the release note.
    const note = await client.upsertMergeRequestNote({
      projectId: 'sandbox/hello',
      mrIid: 17,
      marker: 'm-1',
      body: 'hi m-1',
    });
    expect(sandbox.gitlabFake.notes('sandbox/hello', 17).map((n) => n.id)).toEqual([note.noteId]);
  });

  it('Argo CD follows the repo: a bad tag ends Degraded, a good one Healthy', async () => {
    const { configOverlay } = sandbox;
    const repository = configOverlay.services.hello!.image.repository;
    const driver = createGitInfraRepo({ cacheDir: configOverlay.git.cacheDir });
    const bump = (tag: string, n: number) =>
      driver.setImage({
        location: configOverlay.services.hello!.infra,
        target: { kind: 'kustomize', file: STAGING_FILE, name: 'registry.sandbox.local/sandbox/hello' },
        image: { repository, tag },
        message: `Deploy ${tag}`,
        changeId: `test/${n}`,
      });

    const bad = await bump('bad0c0ffee', 1);
    expect(bad.changed).toBe(true);
    const degraded = await syncAndSettle('hello-staging', bad.commitSha);
    expect(degraded.status.health.status).toBe('Degraded');
    expect(degraded.status.summary.images).toEqual([`${repository}:bad0c0ffee`]);

    const good = await bump('0a1b2c3d', 2);
    const healthy = await syncAndSettle('hello-staging', good.commitSha);
    expect(healthy.status.health.status).toBe('Healthy');
    expect(healthy.status.summary.images).toEqual([`${repository}:0a1b2c3d`]);

    // A hand-made commit counts as much as Runway's: production reads its Helm values at that commit.
    const manual = await pushEdit(PRODUCTION_FILE, (t) => t.replace(/tag: v0\.1\.0/, 'tag: v0.2.0-bad'), 'Try v0.2.0');
    const production = await syncAndSettle('hello-production', manual);
    expect(production.status.health.status).toBe('Degraded');
    expect(production.status.summary.images).toEqual(['registry.sandbox.local/sandbox/hello:v0.2.0-bad']);
  });

  it('numbers Slack messages from the current time, so no ts repeats across restarts', async () => {
    const before = Date.now() / 1000;
    const res = await fetch(`${sandbox.configOverlay.slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.configOverlay.slack.botToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel: '#releases', text: 'hello' }),
    });
    const { ok, ts } = (await res.json()) as { ok: boolean; ts: string };
    expect(ok).toBe(true);
    expect(Number(ts)).toBeGreaterThan(before - 5);
    expect(Number(ts)).toBeLessThan(before + 5);
  });

  it('answers Argo CD UI links with the application', async () => {
    const res = await fetch(`${sandbox.configOverlay.argocd.url}/applications/hello-staging`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'hello-staging', health: { status: expect.any(String) } });
  });

  it('reuses the repository on restart, with Argo CD starting from its head', async () => {
    const head = (await inRepo(sandbox.repoPath, ['rev-parse', 'main'])).trim();
    await sandbox.close();
    sandbox = await startSandbox({ dataDir, ports: ANY_PORT, argocdTiming: FAST_ARGO });
    expect(sandbox.repoCreated).toBe(false);
    expect((await inRepo(sandbox.repoPath, ['rev-parse', 'main'])).trim()).toBe(head);
    expect(sandbox.argocd.app('hello-production').status).toMatchObject({
      sync: { status: 'Synced', revision: head },
      health: { status: 'Healthy' },
      summary: { images: ['registry.sandbox.local/sandbox/hello:v0.2.0-bad'] },
    });
  });

  it('says which fixed port is taken instead of crashing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startSandbox({ dataDir, ports: { ...ANY_PORT, slack: port } })).rejects.toThrow(
        `sandbox slack: port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
