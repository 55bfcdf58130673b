// Between releases, on the real Temporal dev server with the real clients against the fakes: the watcher
// opens ONE Slack message per incident, updates it, closes it with its duration; drift alerts or syncs back;
// a sync Runway did not make becomes one GitLab deployment and a history entry; a killed worker resumes
// without posting again.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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
import { waitFor } from '../support/harness.js';
import { RELEASES_CHANNEL, createIntegrationWorld, type IntegrationWorld } from '../support/integration-world.js';

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
  startWatcher(): Promise<void>;
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
    startWatcher: async () => {
      await client.workflow.start('watcherWorkflow', {
        workflowId: watcherId('default', taskQueue),
        taskQueue,
        args: [{ instance: 'default', taskQueue, intervalMs: INTERVAL_MS }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      // The first poll is the baseline: nothing before it is news.
      await waitFor(async () => (await handle().query(watchStateQuery)).watched === 2);
    },
    state: () => handle().query(watchStateQuery),
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
  it('Degraded outside a release: one message, updated in place, closed with its duration', async () => {
    const t = await setup();
    await t.startWorker();
    await t.startWatcher();
    const app = `${t.service}-staging`;

    t.world.argocd.setHealth(app, 'Degraded');
    const [message] = await waitFor(() => {
      const found = t.incidentMessages();
      return found.length ? found : undefined;
    }, 15_000);
    expect(text(message!)).toContain('Degraded');
    expect(text(message!)).toContain('exceeded its progress deadline');
    expect(text(message!)).toContain('Silence 1 h');

    // Flapping: healthy for a moment, then bad again — still the same one message.
    t.world.argocd.setHealth(app, 'Healthy');
    await waitFor(async () => !!(await t.state()).open[0]?.recoveredAt);
    t.world.argocd.setHealth(app, 'Degraded', 'CrashLoopBackOff');
    await waitFor(async () => (await t.state()).open[0]?.flaps === 1);

    t.world.argocd.setHealth(app, 'Healthy');
    const closed = await waitFor(async () => (await t.state()).recent[0], 15_000);
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
  }, 60_000);

  it('drift: alert opens an incident; drift: sync puts it back without one', async () => {
    const t = await setup({ production: { drift: 'sync' } });
    await t.startWorker();
    await t.startWatcher();
    const s = t.world.service(t.service);

    // Someone edits the live objects of both apps by hand; the next refresh compares OutOfSync at the same revision.
    t.world.argocd.editLive(`${t.service}-staging`, `${s.imageRepository}:hand-edited`);
    t.world.argocd.editLive(`${t.service}-production`, `${s.imageRepository}:hand-edited`);
    await t.world.argocd.refreshNow(`${t.service}-staging`);
    await t.world.argocd.refreshNow(`${t.service}-production`);

    const incident = await waitFor(async () => (await t.state()).open.find((i) => i.kind === 'drift'), 15_000);
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
  }, 60_000);

  it('an external sync becomes one GitLab deployment and a history entry, once per revision', async () => {
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
    }, 15_000);
    const recorded = timeline as ReleaseTimeline;
    expect(recorded.source).toBe('external');
    expect(recorded.initiatedBy).toBe('alice');
    expect(recorded.stages[0]).toMatchObject({ kind: 'deploy', environment: 'staging', state: 'succeeded' });
    expect(recorded.stages[0]!.details.image).toBe(`${s.imageRepository}:${t.world.previousTag}`);

    const deployments = t.world.gitlab.deployments(s.project);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ environment: 'staging', sha: revision, status: 'success' });
    await record('external-deploy', id);

    // The same revision synced again by hand: still one deployment.
    const before = (await t.state()).apps[`${t.service}/staging`]!.lastOperation!.finishedAt;
    await new Promise((r) => setTimeout(r, 1_100)); // finishedAt has second precision
    t.world.argocd.startOperation(app, 'main', { username: 'bob' });
    await waitFor(async () => (await t.state()).apps[`${t.service}/staging`]!.lastOperation!.finishedAt !== before);
    await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
    expect(t.world.gitlab.deployments(s.project)).toHaveLength(1);
  }, 60_000);

  it('a worker killed during an incident resumes without posting again; a deleted app is dropped', async () => {
    const t = await setup();
    const first = await t.startWorker();
    await t.startWatcher();
    const app = `${t.service}-staging`;
    t.world.argocd.setHealth(app, 'Degraded');
    await waitFor(() => t.incidentMessages().length === 1, 15_000);
    await first.stop();

    // A new worker (a new process: no cached workflow state) picks the watcher up from its history.
    await t.startWorker();
    await t.world.argocd.refreshNow(app);
    await client.workflow.getHandle(watcherId('default', t.taskQueue)).signal(pollNowSignal);
    await new Promise((r) => setTimeout(r, 6 * INTERVAL_MS));
    expect(t.incidentMessages()).toHaveLength(1);
    expect((await t.state()).open).toHaveLength(1);

    // The app is deleted from Argo CD: dropped, and its incident closed with the reason.
    t.world.argocd.removeApp(app);
    const closed = await waitFor(async () => (await t.state()).recent[0], 15_000);
    expect(closed.closedReason).toMatch(/no longer in Argo CD/);
    expect((await t.state()).apps[`${t.service}/staging`]).toBeUndefined();
    expect(t.incidentMessages()).toHaveLength(1);
  }, 60_000);
});
