// The sandbox's Argo CD page: its buttons break and heal hello-staging, and "Sync (as someone)" is a sync Runway
// did not start, reported as Argo CD reports one (operationState.operation.initiatedBy.username).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/start.js';

let dataDir: string;
let sandbox: Sandbox;
const ANY_PORT = { gitlab: 0, argocd: 0, slack: 0, registry: 0 };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-argo-page-'));
  sandbox = await startSandbox({
    dataDir,
    ports: ANY_PORT,
    argocdTiming: { pickupMs: 10, operationMs: 30, healthyAfterMs: 60 },
  });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const post = (pathname: string, body: unknown) =>
  fetch(`${sandbox.configOverlay.argocd.url}${pathname}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('sandbox Argo CD page', () => {
  it('lists the apps with buttons that break, heal and sync hello-staging', async () => {
    const page = await fetch(`${sandbox.configOverlay.argocd.url}/applications`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('hello-staging');
    expect(html).toContain('Break (Degraded)');

    expect((await post('/_fake/applications/hello-staging/health', { status: 'Degraded' })).status).toBe(200);
    expect(sandbox.argocd.app('hello-staging').status.health).toEqual({
      status: 'Degraded',
      message: 'Deployment "hello-staging" exceeded its progress deadline',
    });
    expect((await post('/_fake/applications/hello-staging/health', { status: 'Healthy' })).status).toBe(200);
    expect(sandbox.argocd.app('hello-staging').status.health.status).toBe('Healthy');
    expect((await post('/_fake/applications/hello-staging/health', { status: 'Fine' })).status).toBe(400);
    expect((await post('/_fake/applications/nope/health', { status: 'Degraded' })).status).toBe(404);

    const before = sandbox.argocd.app('hello-staging').status.history.length;
    expect((await post('/_fake/applications/hello-staging/sync', { username: 'sandbox-user' })).status).toBe(202);
    const deadline = Date.now() + 5_000;
    while (sandbox.argocd.app('hello-staging').status.history.length === before) {
      if (Date.now() > deadline) throw new Error('the sync did not finish');
      await new Promise((r) => setTimeout(r, 20));
    }
    const state = sandbox.argocd.app('hello-staging').status.operationState!;
    expect(state.operation.initiatedBy).toEqual({ username: 'sandbox-user' });
    expect(state.phase).toBe('Succeeded');
  });
});
