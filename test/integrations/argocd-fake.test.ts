// The rebuilt fake Argo CD against a real bare git repository, over its REST API: what its controller and
// API server do on their own (each behaviour cites its upstream function in docs/fakes.md).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeArgoCd, type FakeApplication } from '../../fakes/argocd.js';

const run = promisify(execFile);
let root: string;
let bare: string;
let work: string;
let fake: FakeArgoCd;

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd });
  return stdout.trim();
}

/** Commits `tag` into the app's file (or another file) and pushes; returns the new head. */
async function push(file: string, tag: string): Promise<string> {
  await mkdir(path.dirname(path.join(work, file)), { recursive: true });
  await writeFile(path.join(work, file), `tag: ${tag}\n`);
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', `${file} ${tag}`);
  await git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  return git(work, 'rev-parse', 'HEAD');
}

async function rest(
  pathname: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${fake.url}${pathname}`, {
    ...init,
    headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'argocd-fake-'));
  bare = path.join(root, 'infra.git');
  work = path.join(root, 'work');
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  await git(root, 'clone', '--quiet', bare, work);
  await git(work, 'checkout', '--quiet', '-b', 'main');
});

afterEach(async () => {
  await fake?.close();
  await rm(root, { recursive: true, force: true });
});

function start(options: { pollMs?: number } = {}): FakeArgoCd {
  fake = new FakeArgoCd({
    repoURL: bare,
    pollMs: options.pollMs ?? 0,
    pickupMs: 5,
    operationMs: 20,
    healthyAfterMs: 20,
    resolveRevision: async (rev) => {
      try {
        return await git(bare, 'rev-parse', '--verify', '--quiet', `${rev === 'HEAD' ? 'main' : rev}^{commit}`);
      } catch {
        return undefined;
      }
    },
    resolveImage: async (rev, app) => {
      const text = await git(bare, 'show', `${rev}:apps/${app}.yaml`).catch(() => '');
      const tag = /tag: (\S+)/.exec(text)?.[1];
      return tag ? `registry.example.com/${app}:${tag}` : undefined;
    },
  });
  return fake;
}

describe('fake Argo CD following a git repository', () => {
  it('a refresh moves status.sync.revision to the branch head; the last sync keeps its own revision', async () => {
    const first = await push('apps/a.yaml', '1');
    start();
    await fake.listen();
    fake.addApp('a', { revision: first, image: 'registry.example.com/a:1' });
    const later = await push('apps/b.yaml', '9'); // another service's bump, same branch
    const { body } = await rest('/api/v1/applications/a?refresh=normal');
    const app = body as unknown as FakeApplication;
    expect(app.status.sync).toEqual({ status: 'Synced', revision: later });
    expect(app.status.operationState?.syncResult?.revision).toBe(first);
    // Its own file changed: OutOfSync at the new head.
    const mine = await push('apps/a.yaml', '2');
    const again = (await rest('/api/v1/applications/a?refresh=normal')).body as unknown as FakeApplication;
    expect(again.status.sync).toEqual({ status: 'OutOfSync', revision: mine });
  });

  it('auto-sync: the controller syncs on its poll, as initiatedBy automated, to the head', async () => {
    const first = await push('apps/a.yaml', '1');
    start({ pollMs: 30 });
    await fake.listen();
    fake.addApp('a', { revision: first, image: 'registry.example.com/a:1', automated: true });
    const head = await push('apps/a.yaml', '2');
    await until(
      () => fake.app('a').status.health.status === 'Healthy' && fake.app('a').status.summary.images[0]!.endsWith(':2'),
    );
    const app = fake.app('a');
    expect(app.status.operationState?.operation.initiatedBy).toEqual({ automated: true });
    expect(app.status.operationState?.syncResult?.revision).toBe(head);
    expect(fake.operationsStarted).toEqual([{ application: 'a', revision: head, automated: true }]);
  });

  it('auto-sync does not retry a revision whose sync failed (alreadyAttemptedSync)', async () => {
    const first = await push('apps/a.yaml', '1');
    start({ pollMs: 20 });
    await fake.listen();
    fake.addApp('a', { revision: first, image: 'registry.example.com/a:1', automated: true });
    const head = await push('apps/a.yaml', '2');
    fake.failOperation(head);
    await until(() => fake.app('a').status.operationState?.phase === 'Failed');
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.operationsStarted.filter((o) => o.revision === head)).toHaveLength(1);
  });

  it('answers with the real errors: auto-sync revision, another operation, sync window', async () => {
    const first = await push('apps/a.yaml', '1');
    start();
    await fake.listen();
    fake.addApp('a', { revision: first, image: 'registry.example.com/a:1', automated: true });
    fake.addApp('m', { revision: first });
    const pinned = await rest('/api/v1/applications/a/sync', {
      method: 'POST',
      body: JSON.stringify({ revision: first }),
    });
    expect(pinned).toEqual({
      status: 400,
      body: {
        error: `Cannot sync to ${first}: auto-sync currently set to main`,
        code: 9,
        message: `Cannot sync to ${first}: auto-sync currently set to main`,
        details: [],
      },
    });
    // The branch name itself is what auto-sync is set to: accepted, resolved to the head.
    expect(
      (await rest('/api/v1/applications/a/sync', { method: 'POST', body: JSON.stringify({ revision: 'main' }) }))
        .status,
    ).toBe(200);
    expect(fake.app('a').operation?.sync?.revision).toBe(first);
    const busy = await rest('/api/v1/applications/a/sync', { method: 'POST', body: '{}' });
    expect(busy).toMatchObject({ status: 400, body: { code: 9, message: 'another operation is already in progress' } });
    const now = new Date();
    fake.setSyncWindows('default', [
      {
        kind: 'deny',
        schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
        duration: '1h',
        applications: ['m'],
      },
    ]);
    const windowed = await rest('/api/v1/applications/m/sync', { method: 'POST', body: '{}' });
    expect(windowed).toMatchObject({ status: 403, body: { code: 7, message: 'Cannot sync: Blocked by sync window' } });
    const windows = await rest('/api/v1/applications/m/syncwindows');
    expect(windows.body).toMatchObject({ canSync: false, assignedWindows: [{ kind: 'deny', applications: ['m'] }] });
    // manualSync on the deny window lets a manual sync through (SyncWindows.CanSync(true)).
    fake.setSyncWindows('default', [
      {
        kind: 'deny',
        schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
        duration: '1h',
        applications: ['m'],
        manualSync: true,
      },
    ]);
    expect((await rest('/api/v1/applications/m/sync', { method: 'POST', body: '{}' })).status).toBe(200);
  });

  it('multi-source: revisions per source; a revision for the infra source of an auto-sync app is refused per source', async () => {
    const first = await push('apps/a.yaml', '1');
    start();
    await fake.listen();
    const chart = { repoURL: 'https://charts.example.com', chart: 'a', targetRevision: '1.4.2' };
    fake.addApp('a', { revision: first, image: 'registry.example.com/a:1', extraSources: [chart], automated: true });
    const refused = await rest('/api/v1/applications/a/sync', {
      method: 'POST',
      body: JSON.stringify({ revisions: [first], sourcePositions: [2] }),
    });
    expect(refused).toMatchObject({
      status: 400,
      body: { code: 9, message: `Cannot sync source ${bare} to ${first}: auto-sync currently set to main` },
    });
    const head = await push('apps/a.yaml', '2');
    const app = (await rest('/api/v1/applications/a?refresh=normal')).body as unknown as FakeApplication;
    expect(app.status.sync).toEqual({ status: 'OutOfSync', revisions: ['1.4.2', head] });
    await until(
      () =>
        fake.app('a').status.operationState?.phase === 'Succeeded' &&
        fake.app('a').status.operationState?.syncResult?.revisions?.[1] === head,
    );
    expect(fake.app('a').status.operationState?.syncResult?.revisions).toEqual(['1.4.2', head]);
  });

  it('a sync to an unknown commit is accepted, then ends in a ComparisonError', async () => {
    const first = await push('apps/a.yaml', '1');
    start();
    await fake.listen();
    fake.addApp('m', { revision: first });
    const unknown = 'e'.repeat(40);
    expect(
      (await rest('/api/v1/applications/m/sync', { method: 'POST', body: JSON.stringify({ revision: unknown }) }))
        .status,
    ).toBe(200);
    await until(() => fake.app('m').status.operationState?.phase === 'Error');
    expect(fake.app('m').status.operationState?.message).toMatch(
      /^ComparisonError: Failed to load target state: .*Failed to checkout revision/,
    );
  });

  it('apps in any namespace: only in allowed namespaces, addressed by appNamespace', async () => {
    const first = await push('apps/a.yaml', '1');
    fake = new FakeArgoCd({ appNamespaces: ['team-a'] });
    await fake.listen();
    fake.addApp('a', { revision: first, namespace: 'team-a' });
    expect((await rest('/api/v1/applications/a?appNamespace=team-a')).status).toBe(200);
    expect((await rest('/api/v1/applications/a')).status).toBe(403); // not in argocd: hidden as permission denied
    expect((await rest('/api/v1/applications/a?appNamespace=team-b')).status).toBe(403);
  });
});
