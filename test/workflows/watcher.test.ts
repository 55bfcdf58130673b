// Between releases, on the real Temporal dev server with the real clients against the fakes: the watcher
// opens ONE Slack message per incident, updates it, closes it with its duration; drift alerts or syncs back;
// a sync Runway did not make becomes one GitLab deployment and a history entry; a killed worker resumes
// without posting again.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorkerProcess, type WorkerHandle } from '../../chaos/workers.js';
import { DEFAULT_FAKE_SLACK_TOKEN } from '../../fakes/slack.js';
import { FAKE_GITLAB_TOKEN } from '../../fakes/gitlab.js';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { watcherId } from '../../config/watch-targets.js';
import { externalDeployId } from '../../domain/ids.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import type { WatchState, WatchTarget } from '../../domain/watch.js';
import type { FakeSlackMessage } from '../../fakes/slack.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { pollNowSignal, watchStateQuery, type WatcherMemo } from '../../workflows/watch-messages.js';
import type { BlockAction, ButtonAction } from '@slack/bolt';
import { startRelease } from '../../api/releases.js';
import { ReleaseService } from '../../api/release-service.js';
import { IncidentService } from '../../api/incidents.js';
import { handleIncidentAction } from '../../api/slack/incident-actions.js';
import { runSubcommand } from '../../api/slack/subcommands.js';
import type { SlackDeps } from '../../api/slack/deps.js';
import { parseConfig } from '../../config/load.js';
import type { RunwayConfig } from '../../config/schema.js';
import { createLogger } from '../../platform/logger.js';
import { INCIDENT_ROLLBACK_ACTION_ID, INCIDENT_SILENCE_ACTION_ID } from '../../integrations/incident-blocks.js';
import { TIME_SCALE, waitFor } from '../support/harness.js';
import {
  ARGOCD_UI_URL,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
} from '../support/integration-world.js';
import { detailsOf } from '../support/stages.js';

let client: Client;
let connection: Connection;
let native: NativeConnection;

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address });
});

afterAll(async () => {
  await native?.close();
  await connection?.close();
});

const INTERVAL_MS = 150;
const GRACE_MS = 600;

interface Setup {
  world: IntegrationWorld;
  service: string;
  taskQueue: string;
  targets: WatchTarget[];
  startWorker(): Promise<{ stop(): Promise<void>; worker: Worker }>;
  startWatcher(options?: { pollsPerRun?: number; intervalMs?: number }): Promise<void>;
  state(): Promise<WatchState>;
  incidentMessages(): FakeSlackMessage[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function setup(policies: { staging?: Partial<WatchTarget>; production?: Partial<WatchTarget> } = {}) {
  const service = `watched-${randomUUID().slice(0, 6)}`;
  const world = await createIntegrationWorld({ services: [service] });
  cleanups.push(() => world.close());
  const s = world.service(service);
  const taskQueue = `watch-${randomUUID()}`;
  const targets: WatchTarget[] = s.environments.map((env) => ({
    key: `${service}/${env.name}`,
    service,
    environment: env.name,
    instance: 'default',
    application: env.application,
    infraRepo: world.infra.url,
    channel: `#${RELEASES_CHANNEL.name}`,
    gitlabProject: s.project,
    ref: 'main',
    imageRepository: s.imageRepository,
    degraded: 'alert',
    drift: 'alert',
    graceMs: GRACE_MS,
    ...policies[env.name],
  }));
  const workers: { stop(): Promise<void> }[] = [];
  const startWorker = async () => {
    const worker = await createRunwayWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: { ...world.deps(client, taskQueue), watch: { targets, intervalMs: INTERVAL_MS } },
      workflowBundle: { code: inject('workflowBundleCode') },
      overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
    });
    const running = worker.run();
    const handle = {
      worker,
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
    workers.push(handle);
    return handle;
  };
  cleanups.push(async () => {
    await client.workflow
      .getHandle(watcherId('default', taskQueue))
      .terminate('test over')
      .catch(() => undefined);
    for (const w of workers) await w.stop();
  });
  const handle = () => client.workflow.getHandle(watcherId('default', taskQueue));
  const result: Setup = {
    world,
    service,
    taskQueue,
    targets,
    startWorker,
    startWatcher: async (options = {}) => {
      await client.workflow.start('watcherWorkflow', {
        workflowId: watcherId('default', taskQueue),
        taskQueue,
        args: [{ instance: 'default', taskQueue, intervalMs: INTERVAL_MS, ...options }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      // The first poll is the baseline: nothing before it is news.
      await waitFor(async () => (await handle().query(watchStateQuery)).watched === 2);
    },
    // A worker that just (re)started may not poll yet: the query waits for it, boundedly.
    state: async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await handle().query(watchStateQuery);
        } catch (err) {
          if (attempt >= 40) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    incidentMessages: () =>
      world.slack.messages(RELEASES_CHANNEL.id).filter((m) => m.metadata?.event_type === 'runway_incident'),
  };
  return result;
}

/** `RUNWAY_RECORD_HISTORIES=1`: save the run's history for the replay test (test/histories/). */
async function record(name: string, workflowId: string): Promise<void> {
  if (!process.env.RUNWAY_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(new URL(`../histories/${name}.json`, import.meta.url), historyToJSON(history));
}

const text = (m: FakeSlackMessage) => JSON.stringify(m.blocks ?? []) + m.text;

describe('watcher', () => {
  it(
    'Degraded outside a release: one message, updated in place, closed with its duration',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher();
      const app = `${t.service}-staging`;

      t.world.argocd.setHealth(app, 'Degraded');
      const [message] = await waitFor(() => {
        const found = t.incidentMessages();
        return found.length ? found : undefined;
      }, 15_000 * TIME_SCALE);
      expect(text(message!)).toContain('Degraded');
      expect(text(message!)).toContain('exceeded its progress deadline');
      expect(text(message!)).toContain('Silence 1 h');

      // Flapping: healthy for a moment, then bad again — still the same one message.
      t.world.argocd.setHealth(app, 'Healthy');
      await waitFor(async () => !!(await t.state()).open[0]?.recoveredAt);
      t.world.argocd.setHealth(app, 'Degraded', 'CrashLoopBackOff');
      await waitFor(async () => (await t.state()).open[0]?.flaps === 1);

      t.world.argocd.setHealth(app, 'Healthy');
      const closed = await waitFor(async () => (await t.state()).recent[0], 15_000 * TIME_SCALE);
      expect(closed.closedAt).toBeDefined();
      const messages = t.incidentMessages();
      expect(messages).toHaveLength(1);
      const final = t.world.slack.message(RELEASES_CHANNEL.id, messages[0]!.ts)!;
      expect(final.edited).toBeDefined();
      expect(text(final)).toMatch(/resolved after \d+s/);
      expect(text(final)).not.toContain('Silence 1 h'); // buttons gone once closed

      // The memo holds it for the API, read without the worker.
      const memo = (await client.workflow.getHandle(watcherId('default', t.taskQueue)).describe()).memo as {
        incidents: WatcherMemo;
      };
      expect(memo.incidents.recent[0]?.id).toBe(closed.id);
      expect(memo.incidents.recent[0]?.durationSeconds).toBeGreaterThanOrEqual(0);
      await record('watcher-incident', watcherId('default', t.taskQueue));
    },
    60_000 * TIME_SCALE,
  );

  it(
    'drift: alert opens an incident; drift: sync puts it back without one',
    async () => {
      const t = await setup({ production: { drift: 'sync' } });
      await t.startWorker();
      await t.startWatcher();
      const s = t.world.service(t.service);

      // Someone edits the live objects of both apps by hand; the next refresh compares OutOfSync at the same revision.
      t.world.argocd.editLive(`${t.service}-staging`, `${s.imageRepository}:hand-edited`);
      t.world.argocd.editLive(`${t.service}-production`, `${s.imageRepository}:hand-edited`);
      await t.world.argocd.refreshNow(`${t.service}-staging`);
      await t.world.argocd.refreshNow(`${t.service}-production`);

      const incident = await waitFor(
        async () => (await t.state()).open.find((i) => i.kind === 'drift'),
        15_000 * TIME_SCALE,
      );
      expect(incident.environment).toBe('staging');
      await waitFor(() => t.incidentMessages().length === 1);
      expect(text(t.incidentMessages()[0]!)).toContain('drifted');

      // Production was synced back by the watcher (no revision: the app's own), and healed.
      await waitFor(() =>
        t.world.argocd.syncRequests.some((r) => r.application === `${t.service}-production` && r.outcome === 200),
      );
      await waitFor(() => t.world.argocd.app(`${t.service}-production`).status.sync.status === 'Synced');
      await new Promise((r) => setTimeout(r, GRACE_MS + 4 * INTERVAL_MS));
      const state = await t.state();
      expect(state.open.filter((i) => i.environment === 'production')).toEqual([]);
      expect(t.incidentMessages()).toHaveLength(1);
      // The watcher's own sync is not an external deploy.
      expect(t.world.gitlab.deployments(s.project)).toEqual([]);
    },
    60_000 * TIME_SCALE,
  );

  it(
    'an external sync becomes one GitLab deployment and a history entry, once per revision',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher();
      const s = t.world.service(t.service);
      const app = `${t.service}-staging`;
      const revision = t.world.initialRevision;

      t.world.argocd.startOperation(app, 'main', { username: 'alice' });
      const id = externalDeployId(t.service, 'staging', revision);
      const timeline = await waitFor(async () => {
        try {
          return await client.workflow.getHandle(id).result();
        } catch {
          return undefined;
        }
      }, 15_000 * TIME_SCALE);
      const recorded = timeline as ReleaseTimeline;
      expect(recorded.source).toBe('external');
      expect(recorded.initiatedBy).toBe('alice');
      expect(recorded.stages[0]).toMatchObject({ kind: 'deploy', environment: 'staging', state: 'succeeded' });
      expect(detailsOf(recorded.stages[0], 'deploy')?.image).toBe(`${s.imageRepository}:${t.world.previousTag}`);

      const deployments = t.world.gitlab.deployments(s.project);
      expect(deployments).toHaveLength(1);
      expect(deployments[0]).toMatchObject({ environment: 'staging', sha: revision, status: 'success' });
      await record('external-deploy', id);

      // The same revision synced again by hand: still one deployment.
      // Right away: the same second as alice's, told apart by the history id.
      const before = (await t.state()).apps[`${t.service}/staging`]!.lastOperation!.historyId;
      t.world.argocd.startOperation(app, 'main', { username: 'bob' });
      await waitFor(async () => (await t.state()).apps[`${t.service}/staging`]!.lastOperation!.historyId !== before);
      await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
      expect(t.world.gitlab.deployments(s.project)).toHaveLength(1);
    },
    60_000 * TIME_SCALE,
  );

  it(
    'two syncs between two polls are two deployments: the history has both, operationState only the last',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher({ intervalMs: 60_000 }); // asleep until woken: both syncs happen between two polls
      const s = t.world.service(t.service);
      const app = `${t.service}-staging`;
      // A second commit on the infra branch (same tree), so the two syncs name two revisions.
      const first = t.world.initialRevision;
      const second = await t.world.infra.git('commit-tree', `${first}^{tree}`, '-p', first, '-m', 'hand-made');
      await t.world.infra.git('update-ref', `refs/heads/${t.world.infra.branch}`, second.trim());

      const finished = async (n: number) =>
        waitFor(() => (t.world.argocd.app(app).status.history as unknown[]).length >= n);
      const before = (t.world.argocd.app(app).status.history as unknown[]).length;
      t.world.argocd.startOperation(app, first, { username: 'bob' });
      await finished(before + 1);
      t.world.argocd.startOperation(app, second.trim(), { username: 'carol' });
      await finished(before + 2);
      await client.workflow.getHandle(watcherId('default', t.taskQueue)).signal(pollNowSignal);

      const deployments = await waitFor(() => {
        const d = t.world.gitlab.deployments(s.project);
        return d.length >= 2 ? d : undefined;
      }, 15_000 * TIME_SCALE);
      expect(deployments.map((d) => d.sha).sort()).toEqual([first, second.trim()].sort());
      const bob = (await client.workflow
        .getHandle(externalDeployId(t.service, 'staging', first))
        .result()) as ReleaseTimeline;
      expect(bob.initiatedBy).toBe('bob');
    },
    60_000 * TIME_SCALE,
  );

  it(
    'continue-as-new carries the open incident and its message: still one message, closed once',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher({ pollsPerRun: 4 });
      const handle = client.workflow.getHandle(watcherId('default', t.taskQueue));
      const app = `${t.service}-staging`;
      t.world.argocd.setHealth(app, 'Degraded');
      await waitFor(() => t.incidentMessages().length === 1, 15_000 * TIME_SCALE);
      const runBefore = (await handle.describe()).runId;
      await waitFor(async () => (await handle.describe()).runId !== runBefore, 15_000 * TIME_SCALE);
      const carried = await t.state();
      expect(carried.open).toHaveLength(1);
      expect(carried.open[0]!.messageRef).toBeDefined();

      t.world.argocd.setHealth(app, 'Healthy');
      await waitFor(async () => (await t.state()).recent[0], 15_000 * TIME_SCALE);
      expect(t.incidentMessages()).toHaveLength(1);
      expect(text(t.world.slack.message(RELEASES_CHANNEL.id, t.incidentMessages()[0]!.ts)!)).toMatch(/resolved after/);
    },
    60_000 * TIME_SCALE,
  );

  it(
    'Argo CD unreachable: one "cannot watch" warning, no incident per app, closed when it answers again',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher();
      t.world.argocd.setHealth(`${t.service}-staging`, 'Degraded');
      t.world.argocd.setHealth(`${t.service}-production`, 'Degraded');
      // Every read fails (a gateway in front of Argo CD answering 502), for a while.
      t.world.argocd.http.inject(
        { kind: 'status', status: 502, body: 'Bad Gateway' },
        { path: /^\/api\/v1\/applications/ },
        10_000,
      );
      const outage = () =>
        t.world.slack.messages(RELEASES_CHANNEL.id).filter((m) => m.metadata?.event_type === 'runway_watch_outage');
      await waitFor(() => outage().length === 1, 15_000 * TIME_SCALE);
      await new Promise((r) => setTimeout(r, GRACE_MS + 6 * INTERVAL_MS));
      expect(outage()).toHaveLength(1);
      expect(t.incidentMessages()).toHaveLength(0);
      expect(text(outage()[0]!)).toContain('cannot watch Argo CD default');

      t.world.argocd.http.clearFaults();
      await waitFor(
        () => text(t.world.slack.message(RELEASES_CHANNEL.id, outage()[0]!.ts)!).includes('again'),
        15_000 * TIME_SCALE,
      );
      // Now the apps are seen, and both incidents open after the grace.
      await waitFor(() => t.incidentMessages().length === 2, 15_000 * TIME_SCALE);
      expect(outage()).toHaveLength(1);
    },
    60_000 * TIME_SCALE,
  );

  it(
    'a worker SIGKILLed while posting the incident resumes without posting again; a deleted app is dropped',
    async () => {
      const t = await setup();
      const dir = mkdtempSync(path.join(tmpdir(), 'runway-watch-'));
      const bundlePath = path.join(dir, 'bundle.js');
      writeFileSync(bundlePath, inject('workflowBundleCode'));
      const processes: WorkerHandle[] = [];
      cleanups.push(async () => {
        for (const p of processes) await p.sigkill();
      });
      const spawn = (n: number) => {
        const w = startWorkerProcess({
          address: inject('temporalAddress'),
          taskQueue: t.taskQueue,
          bundlePath,
          logFile: path.join(dir, 'workers.log'),
          world: {
            gitlabUrl: t.world.gitlab.url,
            gitlabToken: FAKE_GITLAB_TOKEN,
            slackApiUrl: t.world.slack.apiUrl,
            slackToken: DEFAULT_FAKE_SLACK_TOKEN,
            defaultChannel: RELEASES_CHANNEL.id,
            argocdUrl: t.world.argocd.url,
            argocdToken: t.world.argocd.token,
            argocdUiUrl: ARGOCD_UI_URL,
            registryHost: t.world.registry.host,
            infraCacheDir: path.join(dir, `cache-${n}`),
            watch: { targets: t.targets, intervalMs: INTERVAL_MS },
          },
        });
        processes.push(w);
        return w;
      };
      const first = spawn(1);
      await first.ready;
      await t.startWatcher();
      const app = `${t.service}-staging`;

      // The post lands, its reply is held back: the worker dies before the activity can report it.
      t.world.slack.inject({ kind: 'latency', ms: 4_000, after: true }, 'chat.postMessage');
      t.world.argocd.setHealth(app, 'Degraded');
      await waitFor(() => t.incidentMessages().length === 1, 15_000 * TIME_SCALE);
      await first.sigkill();

      // A new process: the activity is retried, finds the message it posted, and updates it instead.
      const second = spawn(2);
      await second.ready;
      await waitFor(async () => !!(await t.state()).open[0]?.messageRef, 30_000 * TIME_SCALE);
      t.world.argocd.setHealth(app, 'Healthy');
      await waitFor(async () => (await t.state()).recent[0], 15_000 * TIME_SCALE);
      expect(t.incidentMessages()).toHaveLength(1);
      expect(text(t.world.slack.message(RELEASES_CHANNEL.id, t.incidentMessages()[0]!.ts)!)).toContain('resolved');

      // The app is deleted from Argo CD while bad again: dropped, its incident closed with the reason.
      t.world.argocd.setHealth(app, 'Degraded');
      await waitFor(
        async () => (await t.state()).open.length === 1 && t.incidentMessages().length === 2,
        15_000 * TIME_SCALE,
      );
      t.world.argocd.removeApp(app);
      const closed = await waitFor(
        async () => (await t.state()).recent.find((i) => i.closedReason),
        15_000 * TIME_SCALE,
      );
      expect(closed.closedReason).toMatch(/no longer in Argo CD/);
      expect((await t.state()).apps[`${t.service}/staging`]).toBeUndefined();
      expect(t.incidentMessages()).toHaveLength(2);
      expect(processes.some((p) => p.crashed())).toBe(false);
    },
    90_000 * TIME_SCALE,
  );
});

/** runway.yaml for the world's service, as an operator would write it (for the front doors' ReleaseService). */
function worldConfig(t: Setup): RunwayConfig {
  const s = t.world.service(t.service);
  const [staging, production] = s.environments;
  return parseConfig(
    `
temporal: { taskQueue: ${t.taskQueue} }
gitlab: { url: '${t.world.gitlab.url}', token: unused }
slack: { botToken: xoxb-unused }
argocd: { url: '${t.world.argocd.url}', token: unused }
services:
  ${t.service}:
    gitlab: { project: ${s.project} }
    image: { repository: ${s.imageRepository} }
    infra: { driver: git, repository: '${t.world.infra.url}' }
    environments:
      - name: staging
        manifest: { file: ${staging!.target.file}, kustomize: { image: ${s.imageRepository} } }
        argocd: { application: ${staging!.application} }
        deployers: [U0ALICE]
        healthTimeout: 10s
        degradedGrace: 100ms
      - name: production
        manifest: { file: ${production!.target.file}, helm: { tagPath: image.tag, repositoryPath: image.repository } }
        argocd: { application: ${production!.application} }
        deployers: [U0ALICE]
`,
    {},
  );
}

/** A block_actions payload as Slack sends it when `user` presses `button` of `message`. */
function press(user: string, message: FakeSlackMessage, actionId: string): BlockAction<ButtonAction> {
  const blocks = (message.blocks ?? []) as { type: string; elements?: { action_id: string; value: string }[] }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} button in the message`);
  return {
    type: 'block_actions',
    user: { id: user, name: user },
    container: { type: 'message', channel_id: message.channel, message_ts: message.ts },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        value: button.value,
        block_id: 'b',
        action_ts: '1',
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  } as unknown as BlockAction<ButtonAction>;
}

describe('watcher and the front doors', () => {
  it(
    'no incident during a release; afterwards the rollback button reverts in git, silence and /runway incidents work',
    async () => {
      const t = await setup();
      await t.startWorker();
      await t.startWatcher();
      const s = t.world.service(t.service);
      const config = worldConfig(t);
      const releases = new ReleaseService(client, config);
      const incidents = new IncidentService(client, config, releases.temporal);
      const deps = {
        config,
        releases,
        incidents,
        slack: { postEphemeral: async () => ({}), updateMessage: async () => ({ channel: '', ts: '' }) },
        logger: createLogger('watch-test', 'silent'),
      } as unknown as SlackDeps & { incidents: IncidentService };

      // A release of a bad image: Degraded while the release runs is the release's business (it rolls back).
      const badPlan = t.world.plan(t.service);
      const bad = { ...badPlan, image: { ...badPlan.image, tag: `${badPlan.commit.sha.slice(0, 8)}-bad` } };
      await t.world.pushImage(t.service, bad.image.tag);
      const badRun = await startRelease(
        client,
        {
          ...bad,
          // Degraded for 3 s inside the release, far longer than the watcher's grace: only "a release owns it" keeps
          // the watcher quiet.
          environments: bad.environments.slice(0, 1).map((e) => ({ ...e, degradedGraceMs: 3_000 })),
        },
        { taskQueue: t.taskQueue },
      );
      await expect(badRun.handle.result()).rejects.toThrow(); // rolled back
      await new Promise((r) => setTimeout(r, GRACE_MS + 4 * INTERVAL_MS));
      expect(t.incidentMessages()).toHaveLength(0);

      // A good release, then the app breaks on its own: an incident that offers the version before it.
      const plan = t.world.plan(t.service);
      await t.world.pushImage(t.service, plan.image.tag);
      const run = await startRelease(
        client,
        { ...plan, environments: plan.environments.slice(0, 1) },
        { taskQueue: t.taskQueue },
      );
      await run.handle.result();
      t.world.argocd.setHealth(`${t.service}-staging`, 'Degraded');
      const message = await waitFor(() => t.incidentMessages()[0], 15_000 * TIME_SCALE);
      expect(text(message)).toContain(`Roll back to ${t.world.previousTag}`);
      expect(text(message)).toContain(run.handle.workflowId);

      // The memo is written after the post: the API sees it within a poll.
      const listed = await waitFor(async () => {
        const list = await incidents.list();
        return list.open.length ? list : undefined;
      });
      expect(listed.open.map((i) => i.service)).toEqual([t.service]);
      expect(listed.watchers).toEqual([expect.objectContaining({ instance: 'default', running: true })]);
      expect(await runSubcommand(deps, 'incidents', { id: 'U0ALICE' })).toContain('Open incidents');

      // Someone who is not a deployer cannot press it.
      expect(
        await handleIncidentAction(deps, 'rollback', press('U0MALLORY', message, INCIDENT_ROLLBACK_ACTION_ID)),
      ).toMatch(/Not allowed/);
      const reply = await handleIncidentAction(deps, 'silence', press('U0ALICE', message, INCIDENT_SILENCE_ACTION_ID));
      expect(reply).toContain('No new incident');
      await waitFor(async () => (await t.state()).open[0]?.silencedBy === 'U0ALICE');

      const rollback = await handleIncidentAction(
        deps,
        'rollback',
        press('U0ALICE', message, INCIDENT_ROLLBACK_ACTION_ID),
      );
      expect(rollback).toContain('Rolling back');
      const rollbackId = /`(rollback\/[^`]+)`/.exec(rollback)![1]!;
      await client.workflow.getHandle(rollbackId).result();
      // The revert is a commit in the infra repository: staging names the earlier image again.
      const manifest = await t.world.infra.show('main', s.environments[0]!.target.file);
      expect(manifest).toContain(`newTag: ${t.world.previousTag}`);
      // The rollback's rollout is Healthy: the incident closes, still one message.
      await waitFor(async () => (await t.state()).recent[0], 15_000 * TIME_SCALE);
      expect(t.incidentMessages()).toHaveLength(1);
      // Releases and the rollback recorded their own deploys; the watcher recorded none of them again.
      const external = await client.workflowService.listWorkflowExecutions({
        namespace: 'default',
        query: `WorkflowType = "externalDeployWorkflow" AND TaskQueue = "${t.taskQueue}"`,
      });
      expect(external.executions ?? []).toHaveLength(0);
      const staging = t.world.gitlab.deployments(s.project).filter((d) => d.environment === 'staging');
      expect(staging.map((d) => d.status)).toEqual(['failed', 'success', 'success']);
    },
    90_000 * TIME_SCALE,
  );
});
