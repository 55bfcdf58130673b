// The sandbox GitLab's Merge button: a real merge in the fake (the commit exists, so GitLab's compare from the
// seed tag finds it) and the Merge Request Hook delivered to the project's webhook, which follows runwayUrl.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeRequestHook } from '../../api/webhooks/gitlab-payloads.js';
import { startSandbox, type Sandbox } from '../../sandbox/start.js';

let dataDir: string;
let sandbox: Sandbox;
let runway: Server;
let runwayUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  runway = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(req.url === '/webhooks/gitlab' ? 202 : 404, { 'Content-Type': 'application/json' });
      res.end('{"releases":[]}');
    });
  });
  await new Promise<void>((resolve) => runway.listen(0, '127.0.0.1', resolve));
  runwayUrl = `http://127.0.0.1:${(runway.address() as AddressInfo).port}`;
  dataDir = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-merge-'));
  sandbox = await startSandbox({
    dataDir,
    ports: { gitlab: 0, argocd: 0, slack: 0, registry: 0 },
    argocdTiming: { pickupMs: 10, operationMs: 30, healthyAfterMs: 60 },
    runwayUrl,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => runway?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

const gitlabApi = (pathname: string) =>
  fetch(`${sandbox.configOverlay.gitlab.url}/api/v4${pathname}`, {
    headers: { 'PRIVATE-TOKEN': sandbox.configOverlay.gitlab.token },
  });

describe('sandbox GitLab Merge button', () => {
  it('is on the project page', async () => {
    const html = await (await fetch(`${sandbox.configOverlay.gitlab.url}/sandbox/hello`)).text();
    expect(html).toContain('<form method="post" action="/sandbox/hello/-/merge">');
  });

  it('merges a commit that exists and sends the merge webhook to Runway', async () => {
    const res = await fetch(`${sandbox.configOverlay.gitlab.url}/sandbox/hello/-/merge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ title: 'Say <hello>' }).toString(),
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Say &lt;hello&gt;');
    expect(html).toContain('Runway answered HTTP 202');

    expect(received).toHaveLength(1);
    const [hook] = received;
    expect(hook!.headers['x-gitlab-event']).toBe('Merge Request Hook');
    expect(hook!.headers['x-gitlab-token']).toBe(sandbox.configOverlay.gitlab.webhookSecret);
    const payload = mergeRequestHook.parse(JSON.parse(hook!.body));
    const sha = payload.object_attributes.merge_commit_sha!;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(payload.object_attributes).toMatchObject({ action: 'merge', target_branch: 'main', title: 'Say <hello>' });
    expect(html).toContain(sha);

    // What Runway's release notes ask: compare the seed version's tag with the merged commit.
    const compare = await gitlabApi(`/projects/sandbox%2Fhello/repository/compare?from=v0.1.0&to=${sha}`);
    expect(compare.status).toBe(200);
    const commits = ((await compare.json()) as { commits: { id: string; title: string }[] }).commits;
    const mrs = await gitlabApi(`/projects/sandbox%2Fhello/repository/commits/${sha}/merge_requests`);
    const found = (await mrs.json()) as { iid: number; sha: string }[];
    expect(found.map((m) => m.iid)).toEqual([payload.object_attributes.iid]);
    // A merge (not a fast-forward): the MR's source commit, then the merge commit, as GitLab's compare lists them.
    expect(commits.map((c) => c.id)).toEqual([found[0]!.sha, sha]);
  });

  it('answers JSON when asked, and says when Runway does not answer', async () => {
    await new Promise((resolve) => runway.close(resolve));
    const res = await fetch(`${sandbox.configOverlay.gitlab.url}/sandbox/hello/-/merge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ title: 'Offline' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { title: string; delivery: { error?: string } };
    expect(body.title).toBe('Offline');
    expect(body.delivery.error).toContain(`Runway did not answer at ${runwayUrl}/webhooks/gitlab`);
  });

  it('links the Argo CD page to the Slack page of this Runway', async () => {
    const html = await (await fetch(`${sandbox.configOverlay.argocd.url}/applications`)).text();
    expect(html).toContain(`<a href="${runwayUrl}/sandbox/slack">Slack page</a>`);
  });
});
