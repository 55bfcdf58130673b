// The sandbox across a restart of `make dev`: the Slack channel (with a release's Approve / Reject buttons)
// comes back from .data/sandbox, timestamps are real and never reused; plus the failing-build demo, the
// GitLab pages Runway links to, and ports from the environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabClient } from '../../integrations/gitlab.js';
import { createRegistryClient } from '../../integrations/registry.js';
import { createSlackNotifier } from '../../integrations/slack.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import { FAILING_BUILD_SHA } from '../../sandbox/gitlab-web.js';
import { SANDBOX_PORT_ENV, sandboxPortsFromEnv } from '../../sandbox/overlay.js';
import { startSandbox } from '../../sandbox/start.js';
import { viewChannel } from '../../sandbox/slack-view.js';

const ANY_PORT = { gitlab: 0, argocd: 0, slack: 0, registry: 0 };

const timeline: ReleaseTimeline = {
  releaseId: 'release/hello/0123456789abcdef0123456789abcdef01234567',
  service: 'hello',
  commit: '0123456789abcdef0123456789abcdef01234567',
  status: 'awaiting_approval',
  stage: 'approval:production',
  stages: [{ kind: 'approval', environment: 'production', state: 'running', details: {} }],
  warnings: [],
  links: {},
};

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-restart-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const buttons = (channel: ReturnType<typeof viewChannel>) =>
  channel.timeline.flatMap((m) => m.blocks.flatMap((b) => (b.type === 'actions' ? b.buttons.map((x) => x.text) : [])));

describe('the sandbox across a restart', () => {
  it('keeps the approval message and its buttons, with real, never reused timestamps', async () => {
    const first = await startSandbox({ dataDir, ports: ANY_PORT });
    let posted: { channel: string; ts: string };
    try {
      const notifier = createSlackNotifier({
        token: first.configOverlay.slack.botToken,
        apiUrl: first.configOverlay.slack.apiUrl,
      });
      const before = Date.now() / 1000;
      const { messageRef } = await notifier.publish({
        kind: 'approval_requested',
        channel: '#releases',
        environment: 'production',
        approvers: ['U0SANDBOXADMIN', 'admin'],
        timeline,
      });
      posted = messageRef!;
      // Slack's ts is the posting time (seconds.micros): a real clock, not a counter from 2023.
      expect(Number(posted.ts)).toBeGreaterThanOrEqual(Math.floor(before));
      expect(Number(posted.ts)).toBeLessThan(Date.now() / 1000 + 1);
      expect(buttons(viewChannel(first.slackFake, 'releases'))).toEqual(['Approve', 'Reject']);
    } finally {
      await first.close();
    }

    const second = await startSandbox({ dataDir, ports: ANY_PORT });
    try {
      const channel = viewChannel(second.slackFake, 'releases');
      expect(channel.timeline.map((m) => m.ts)).toEqual([posted.ts]);
      expect(buttons(channel)).toEqual(['Approve', 'Reject']);
      // The release's workflow still holds the old ts: updating it works after the restart.
      const notifier = createSlackNotifier({
        token: second.configOverlay.slack.botToken,
        apiUrl: second.configOverlay.slack.apiUrl,
      });
      // Another release's first message (the same release's would be found again by its metadata, not re-posted).
      const other = { ...timeline, releaseId: 'release/hello/89abcdef0123456789abcdef0123456789abcdef' };
      const next = await notifier.publish({ kind: 'started', channel: '#releases', timeline: other });
      expect(Number(next.messageRef!.ts)).toBeGreaterThan(Number(posted.ts));
      const res = await fetch(`${second.slackFake.apiUrl}chat.update`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${second.configOverlay.slack.botToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel: posted.channel, ts: posted.ts, text: 'Approved by admin' }),
      });
      expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('sets an unreadable saved channel aside and starts with an empty one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'runway-sandbox-broken-'));
    try {
      await writeFile(path.join(dir, 'slack.json'), '{ not json');
      const problems: Error[] = [];
      const sandbox = await startSandbox({ dataDir: dir, ports: ANY_PORT, onError: (e) => problems.push(e) });
      await sandbox.close();
      expect(problems.map((p) => p.message).join()).toMatch(/unreadable and is set aside/);
      expect(viewChannel(sandbox.slackFake, 'releases').timeline).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the failing-build demo and the GitLab pages', () => {
  it('has no image for a fa11… commit, a failed pipeline with a job link that opens', async () => {
    const sandbox = await startSandbox({ dataDir, ports: ANY_PORT });
    try {
      const registry = createRegistryClient({ insecureHosts: [new URL(sandbox.registryFake.url).host] });
      const repository = sandbox.configOverlay.services.hello!.image.repository;
      const failing = await registry.imageExists({ repository, tag: FAILING_BUILD_SHA.slice(0, 8) });
      expect(failing.exists).toBe(false);
      expect((await registry.imageExists({ repository, tag: '01234567' })).exists).toBe(true);

      const gitlab = createGitLabClient({
        url: sandbox.configOverlay.gitlab.url,
        token: sandbox.configOverlay.gitlab.token,
      });
      const pipeline = await gitlab.latestPipeline('sandbox/hello', FAILING_BUILD_SHA);
      expect(pipeline?.status).toBe('failed');
      const job = pipeline?.failedJob;
      expect(job?.name).toBe('unit-tests');
      const page = await fetch(job!.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('ERROR: Job failed');

      for (const link of ['/sandbox/hello', '/sandbox/hello/-/merge_requests/1', '/sandbox/hello/-/environments']) {
        expect((await fetch(`${sandbox.configOverlay.gitlab.url}${link}`)).status, link).toBe(200);
      }
    } finally {
      await sandbox.close();
    }
  });
});

describe('sandbox ports', () => {
  it('come from the environment, and a taken one says which variable moves it', async () => {
    expect(sandboxPortsFromEnv({ RUNWAY_SANDBOX_SLACK_PORT: '9083', RUNWAY_SANDBOX_GITLAB_PORT: '0' })).toEqual({
      slack: 9083,
      gitlab: 0,
    });
    expect(() => sandboxPortsFromEnv({ RUNWAY_SANDBOX_ARGOCD_PORT: 'eighty' })).toThrow(
      'RUNWAY_SANDBOX_ARGOCD_PORT=eighty is not a port number',
    );
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startSandbox({ dataDir, ports: { ...ANY_PORT, slack: port } })).rejects.toThrow(
        new RegExp(`sandbox slack: port ${port} on 127.0.0.1 is already in use.*${SANDBOX_PORT_ENV.slack}=0`),
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
