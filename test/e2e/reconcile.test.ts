// No merge is lost: merges whose webhook never arrived (the API was down, GitLab disabled the hook) and merges made
// while Temporal was down are released by the catch-up once they can be, exactly once, oldest first; a missing or
// disabled webhook is reported in the log, the metric and Slack, once per change. Real Temporal, the GitLab fake
// driven by gitbeaker, the Slack fake.
import { Client, type Connection } from '@temporalio/client';
import { apiConnection } from '../../api/temporal-connection.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectGitLab } from '../../integrations/gitlab-api.js';
import { createSlackApi } from '../../integrations/slack.js';
import { MergeReconciler } from '../../api/reconcile/reconciler.js';
import { ReleaseService } from '../../api/release-service.js';
import { parseConfig } from '../../config/load.js';
import { FakeGitLab, FAKE_GITLAB_TOKEN } from '../../fakes/gitlab.js';
import { DEFAULT_FAKE_SLACK_TOKEN, SlackFake } from '../../fakes/slack.js';
import { metricsRegistry } from '../../platform/metrics.js';
import { e2eConfigYaml, mergeHook, postWebhook, createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { SwitchableProxy } from '../support/tcp-proxy.js';

let a: ApiHarness;
let gitlab: FakeGitLab;
let slack: SlackFake;
let proxy: SwitchableProxy;
let proxied: { client: Client; connection: Connection };
const logs: { level: number; msg: string; [k: string]: unknown }[] = [];
const CHANNEL = 'C0OPS';

beforeAll(async () => {
  a = await createApiHarness();
  gitlab = new FakeGitLab();
  await gitlab.listen();
  gitlab.addProject({ path: `acme/${a.service}` });
  slack = new SlackFake({ tokens: [DEFAULT_FAKE_SLACK_TOKEN], channels: [{ id: CHANNEL, name: 'ops' }] });
  await slack.listen();
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  proxy = new SwitchableProxy({ host, port: Number(port) });
  await proxy.up();
  const connection = apiConnection({ address: `127.0.0.1:${proxy.port}`, namespace: 'default', taskQueue: 'unused' });
  proxied = { connection, client: new Client({ connection }) };
}, 60_000);
afterAll(async () => {
  await proxied?.connection.close();
  await proxy?.down();
  await a?.close();
  await gitlab?.close();
  await slack?.close();
});

/** The catch-up as the API process runs it, its Temporal client going through the switchable proxy. */
function reconciler(options: { token?: string } = {}) {
  const config = parseConfig(e2eConfigYaml(a.service, a.h.taskQueue), {});
  return new MergeReconciler({
    config,
    releases: new ReleaseService(proxied.client, config),
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    gitlab: connectGitLab({ url: gitlab.url, token: options.token ?? FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 }),
    slack: {
      api: createSlackApi({ token: DEFAULT_FAKE_SLACK_TOKEN, apiUrl: slack.apiUrl, maxAttempts: 1 }),
      channel: CHANNEL,
    },
  });
}

const exists = async (releaseId: string) =>
  a.h.client.workflow
    .getHandle(releaseId)
    .describe()
    .then(
      () => true,
      () => false,
    );
const releaseOf = (sha: string) => `release/${a.service}/${sha}`;

describe('merge catch-up', () => {
  it('starts releases for merges whose webhook never came, oldest first, and never twice', async () => {
    gitlab.addProjectHook(`acme/${a.service}`, { url: 'https://runway.example.com/webhooks/gitlab' });
    const first = gitlab.mergeMergeRequest(`acme/${a.service}`, { title: 'First' });
    const second = gitlab.mergeMergeRequest(`acme/${a.service}`, { title: 'Second' });
    const elsewhere = gitlab.mergeMergeRequest(`acme/${a.service}`, { title: 'Other branch', targetBranch: 'develop' });
    // A third merge whose webhook did arrive: its release exists already.
    const third = gitlab.mergeMergeRequest(`acme/${a.service}`, { title: 'Third' });
    expect((await postWebhook(a, mergeHook(a.service, third.mergeCommitSha!, { iid: third.iid }))).status).toBe(202);

    const r = reconciler();
    const [report] = await r.runOnce();
    expect(report).toMatchObject({ project: `acme/${a.service}`, hook: 'ok', existing: 1 });
    expect(report!.started).toEqual([releaseOf(first.mergeCommitSha!), releaseOf(second.mergeCommitSha!)]);
    expect(await exists(releaseOf(elsewhere.mergeCommitSha!))).toBe(false);
    const timeline = await a.h.client.workflow.getHandle(releaseOf(first.mergeCommitSha!)).query<{
      links: Record<string, string>;
      actions: { action: string; by: string }[];
    }>('status');
    expect(timeline.links.mergeRequest).toBe(`${gitlab.url}/acme/${a.service}/-/merge_requests/${first.iid}`);
    expect(timeline.actions[0]).toMatchObject({ action: 'deploy', by: 'dev' });

    // Again: nothing new; the releases exist, and a fresh process (no memory) agrees.
    expect((await r.runOnce())[0]!.started).toEqual([]);
    expect((await reconciler().runOnce())[0]).toMatchObject({ started: [], existing: 3 });
    const metrics = await metricsRegistry().metrics();
    expect(metrics).toMatch(new RegExp(`runway_reconcile_releases_started_total\\{project="acme/${a.service}"\\} 2`));
    for (const mr of [first, second, third]) {
      await a.h.client.workflow.getHandle(releaseOf(mr.mergeCommitSha!)).terminate('test done');
    }
  }, 60_000);

  it('merges made while Temporal was down are released once it is back', async () => {
    const r = reconciler();
    await r.runOnce(); // caught up
    await proxy.down();
    const during = gitlab.mergeMergeRequest(`acme/${a.service}`, { title: 'While Temporal was down' });
    const down = (await r.runOnce())[0]!;
    expect(down.started).toEqual([]);
    expect(down.error).toMatch(/Temporal/);
    expect(await exists(releaseOf(during.mergeCommitSha!))).toBe(false);

    await proxy.up();
    // The next passes list the same merges again (the mark did not move) and start the release once it can.
    await expect
      .poll(async () => (await r.runOnce())[0]!.started, { timeout: 20_000, interval: 500 })
      .toEqual([releaseOf(during.mergeCommitSha!)]);
    expect(await exists(releaseOf(during.mergeCommitSha!))).toBe(true);
    expect((await r.runOnce())[0]!.started).toEqual([]);
    await a.h.client.workflow.getHandle(releaseOf(during.mergeCommitSha!)).terminate('test done');
  }, 60_000);

  it('reports a missing, disabled or temporarily disabled webhook once per change (log, metric, Slack)', async () => {
    const project = gitlab.addProject({ path: `acme/${a.service}-hooks` });
    const config = parseConfig(
      e2eConfigYaml(a.service, a.h.taskQueue).replace(`project: acme/${a.service},`, `project: ${project.path},`),
      {},
    );
    const r = new MergeReconciler({
      config,
      releases: new ReleaseService(proxied.client, config),
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      gitlab: connectGitLab({ url: gitlab.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 }),
      slack: {
        api: createSlackApi({ token: DEFAULT_FAKE_SLACK_TOKEN, apiUrl: slack.apiUrl, maxAttempts: 1 }),
        channel: CHANNEL,
      },
    });
    const warnings = () => slack.messages(CHANNEL).filter((m) => m.text.includes(project.path));

    expect((await r.runOnce())[0]!.hook).toBe('missing');
    expect((await r.runOnce())[0]!.hook).toBe('missing');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.text).toContain('has no merge request webhook to Runway');
    expect(await metricsRegistry().metrics()).toContain(`runway_gitlab_webhook_healthy{project="${project.path}"} 0`);

    const hook = gitlab.addProjectHook(project.path, {
      url: 'https://runway.example.com/webhooks/gitlab',
      alertStatus: 'temporarily_disabled',
      disabledUntil: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect((await r.runOnce())[0]!.hook).toBe('temporarily_disabled');
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]!.text).toContain(`temporarily disabled until ${hook.disabledUntil}`);

    hook.alertStatus = 'disabled';
    hook.disabledUntil = null;
    expect((await r.runOnce())[0]!.hook).toBe('disabled');
    expect(warnings()[2]!.text).toContain('has its Runway webhook disabled');

    hook.alertStatus = 'executable';
    expect((await r.runOnce())[0]!.hook).toBe('ok');
    expect(warnings()).toHaveLength(3);
    expect(await metricsRegistry().metrics()).toContain(`runway_gitlab_webhook_healthy{project="${project.path}"} 1`);
    expect(logs.filter((l) => l.msg === 'gitlab webhook problem' && l.project === project.path)).toHaveLength(3);
  }, 60_000);

  it('without the right to read hooks (not a Maintainer) the catch-up still releases merges', async () => {
    const readOnly = new FakeGitLab({ tokens: { 'glpat-read': 'read' } });
    await readOnly.listen();
    try {
      readOnly.addProject({ path: `acme/${a.service}` });
      const merged = readOnly.mergeMergeRequest(`acme/${a.service}`, { title: 'Read-only token' });
      const config = parseConfig(e2eConfigYaml(a.service, a.h.taskQueue), {});
      const r = new MergeReconciler({
        config,
        releases: new ReleaseService(proxied.client, config),
        logger: pino({ level: 'silent' }),
        gitlab: connectGitLab({ url: readOnly.url, token: 'glpat-read', requestTimeoutMs: 5_000 }),
      });
      const [report] = await r.runOnce();
      expect(report).toMatchObject({ hook: 'unknown', started: [releaseOf(merged.mergeCommitSha!)] });
      await a.h.client.workflow.getHandle(releaseOf(merged.mergeCommitSha!)).terminate('test done');
    } finally {
      await readOnly.close();
    }
  }, 60_000);
});
