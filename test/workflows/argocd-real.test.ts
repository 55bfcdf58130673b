// Argo CD as it really runs (issue 8), on a real Temporal server with the real clients against the rebuilt
// fake Argo CD, which follows a real infra repository (a bare git repo, or a project in the fake GitLab):
// auto-sync apps, a branch many services bump at once, reverts while it moves, sync windows, a second Argo CD,
// apps in another namespace and multi-source apps.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createArgoCdApiClient } from '../../integrations/argocd-api.js';
import type { ActivityDeps } from '../../activities/index.js';
import { startRelease } from '../../api/releases.js';
import type { ReleasePlan } from '../../domain/types.js';
import { FakeArgoCd } from '../../fakes/argocd.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { statusQuery } from '../../workflows/messages.js';
import {
  createIntegrationWorld,
  INFRA_PROJECT,
  RELEASES_CHANNEL,
  type IntegrationWorld,
} from '../support/integration-world.js';

interface Temporal {
  client: Client;
  native: NativeConnection;
  connection: Connection;
}

let temporal: Temporal;

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  temporal = { client: new Client({ connection }), native: await NativeConnection.connect({ address }), connection };
});

afterAll(async () => {
  await temporal?.native.close();
  await temporal?.connection.close();
});

async function startWorker(
  deps: (client: Client, taskQueue: string) => ActivityDeps,
): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `argo-${randomUUID()}`;
  const worker: Worker = await createRunwayWorker({
    connection: temporal.native,
    namespace: 'default',
    taskQueue,
    deps: deps(temporal.client, taskQueue),
    workflowBundle: { code: inject('workflowBundleCode') },
    overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

const names = (prefix: string, n: number) => {
  const suffix = randomUUID().slice(0, 5);
  return Array.from({ length: n }, (_, i) => `${prefix}${i}-${suffix}`);
};

const stagingOnly = (plan: ReleasePlan): ReleasePlan => ({ ...plan, environments: plan.environments.slice(0, 1) });

/** The image tag a file of the world's infra repo holds on main. */
async function tagOnMain(world: IntegrationWorld, file: string, viaGitLab: boolean): Promise<string | undefined> {
  const text = viaGitLab ? world.gitlab.fileAt(INFRA_PROJECT, file, 'main') : await world.infra.show('main', file);
  return /(?:newTag|tag): (\S+)/.exec(text ?? '')?.[1];
}

/** Sync requests that named a revision (REST body `revision`/`revisions`, or a patched operation's). */
function revisionsSent(world: IntegrationWorld, application: string): string[] {
  return world.argocd.syncRequests
    .filter((r) => r.application === application)
    .flatMap((r) => {
      const body = r.body as { revision?: string; revisions?: string[]; sync?: { revision?: string } };
      return [body.revision, ...(body.revisions ?? []), body.sync?.revision].filter((v): v is string => !!v);
    });
}

describe.each([
  { driver: 'git' as const, viaGitLab: false },
  { driver: 'gitlab' as const, viaGitLab: true },
])('ten services bump one infra branch at once ($driver infra driver)', ({ driver, viaGitLab }) => {
  const services = names(`ten${driver === 'git' ? 'g' : 'l'}`, 10);
  // Half the staging apps sync by themselves, half are synced by Runway.
  const auto = services.slice(0, 5).map((s) => `${s}-staging`);
  let world: IntegrationWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    world = await createIntegrationWorld({
      services,
      infraDriver: driver,
      autoSync: auto,
      argocdPollMs: 1_000,
      argocdTiming: { pickupMs: 5, operationMs: 40, healthyAfterMs: 60 },
    });
    worker = await startWorker(world.deps);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await world?.close();
  });

  it('all succeed, none rolled back, every manifest at its new tag; auto-sync apps get no revision', async () => {
    const plans = services.map((s) => stagingOnly(world.plan(s)));
    for (const plan of plans) await world.pushImage(plan.service, plan.image.tag);
    const handles = await Promise.all(
      plans.map(async (plan) => (await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue })).handle),
    );
    const results = await Promise.all(handles.map((h) => h.result().catch((e: unknown) => e)));
    const timelines = await Promise.all(handles.map((h) => h.query(statusQuery)));
    // The error is part of what is compared, so a failure says why.
    expect(timelines.map((t) => t.error ?? t.status)).toEqual(services.map(() => 'succeeded'));
    expect(results.every((r) => (r as { status?: string }).status === 'succeeded')).toBe(true);

    for (const plan of plans) {
      const file = world.service(plan.service).environments[0]!.target.file;
      expect(await tagOnMain(world, file, viaGitLab)).toBe(plan.image.tag);
      const app = world.argocd.app(`${plan.service}-staging`);
      expect(app.status.summary.images).toEqual([`${plan.image.repository}:${plan.image.tag}`]);
      expect(app.status.health.status).toBe('Healthy');
    }
    // Exactly one bump per service, no revert.
    const subjects = viaGitLab
      ? world.gitlab.history(INFRA_PROJECT).map((c) => c.title)
      : (await world.infra.log()).map((c) => c.subject);
    for (const s of services) expect(subjects.filter((t) => t.includes(` ${s} `))).toHaveLength(1);
    expect(subjects.some((t) => t.startsWith('Roll back'))).toBe(false);
    // Auto-sync apps: Runway never names a revision (Argo CD would refuse it); manual apps: the branch.
    for (const app of auto) expect(revisionsSent(world, app)).toEqual([]);
    for (const s of services.slice(5)) {
      expect(new Set(revisionsSent(world, `${s}-staging`))).toEqual(new Set(['main']));
    }
    // The controller synced the auto-sync apps itself.
    expect(world.argocd.operationsStarted.filter((o) => auto.includes(o.application) && o.automated)).not.toEqual([]);
  }, 240_000);
});

describe('one infra branch, git driver: reverts and auto-sync', () => {
  const services = names('rv', 9);
  let world: IntegrationWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    world = await createIntegrationWorld({
      services,
      autoSync: services.map((s) => `${s}-staging`),
      argocdPollMs: 500,
      argocdTiming: { pickupMs: 5, operationMs: 30, healthyAfterMs: 80 },
    });
    worker = await startWorker(world.deps);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await world?.close();
  });

  it('auto-sync app: the release succeeds, Runway sends no revision and makes one bump', async () => {
    const [service] = services;
    const plan = stagingOnly(world.plan(service!));
    await world.pushImage(service!, plan.image.tag);
    const before = await world.infra.head();
    const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(world.argocd.syncRequests.filter((r) => r.application === `${service}-staging`)).toEqual([]);
    expect(world.argocd.refreshes.some((r) => r.application === `${service}-staging`)).toBe(true);
    const commits = await world.infra.log(`${before}..main`);
    expect(commits).toHaveLength(1);
    const deploy = result.timeline.stages.find((s) => s.kind === 'deploy');
    expect(deploy?.details.argocdSync).toBe('auto');
    const op = world.argocd.app(`${service}-staging`).status.operationState;
    expect(op?.operation.initiatedBy).toEqual({ automated: true });
    expect(op?.syncResult?.revision).toBe(commits[0]!.sha);
  }, 60_000);

  it('auto-sync app whose controller does not sync in time: Runway syncs it without a revision', async () => {
    const service = services[6]!;
    const base = stagingOnly(world.plan(service));
    const plan: ReleasePlan = {
      ...base,
      environments: base.environments.map((e) => ({ ...e, argocd: { ...e.argocd, autoSyncTimeoutMs: 400 } })),
    };
    await world.pushImage(service, plan.image.tag);
    world.argocd.autoSyncStalled = true;
    try {
      const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
      expect((await handle.result()).status).toBe('succeeded');
    } finally {
      world.argocd.autoSyncStalled = false;
    }
    const syncs = world.argocd.syncRequests.filter((r) => r.application === `${service}-staging`);
    expect(syncs).toHaveLength(1);
    expect(syncs[0]!.outcome).toBe(200);
    expect(syncs[0]!.body).not.toHaveProperty('revision');
    expect(syncs[0]!.body).not.toHaveProperty('revisions');
    const op = world.argocd.app(`${service}-staging`).status.operationState!;
    expect(op.operation.initiatedBy).toEqual({ username: 'admin' });
    expect(op.syncResult?.revision).toBe(await world.infra.head());
  }, 60_000);

  it('Suspended (a paused canary) counts as healthy when configured so, and times out by default', async () => {
    const [canary, paused] = services.slice(7, 9) as [string, string];
    world.argocd.isSuspendedImage = (image) => image.endsWith('-canary');
    const plans = [canary, paused].map((s) => {
      const base = stagingOnly(world.plan(s));
      const tag = `${base.commit.sha.slice(0, 8)}-canary`;
      const onSuspended = s === canary ? ('healthy' as const) : undefined;
      return {
        ...base,
        image: { ...base.image, tag },
        environments: base.environments.map((e) => ({
          ...e,
          healthTimeoutMs: s === canary ? e.healthTimeoutMs : 1_500,
          argocd: { ...e.argocd, onSuspended },
        })),
      };
    });
    for (const p of plans) await world.pushImage(p.service, p.image.tag);
    try {
      const handles = await Promise.all(
        plans.map(async (p) => (await startRelease(temporal.client, p, { taskQueue: worker.taskQueue })).handle),
      );
      await Promise.all(handles.map((h) => h.result().catch(() => undefined)));
      const [ok, waited] = await Promise.all(handles.map((h) => h.query(statusQuery)));
      expect(ok!.status).toBe('succeeded');
      expect(ok!.stages.find((s) => s.kind === 'deploy')?.details.health).toContain('health=Suspended');
      expect(waited!.status).toBe('rolled_back');
      expect(waited!.error).toMatch(/not healthy .* within 1500 ms; last seen: .*health=Suspended/);
    } finally {
      world.argocd.isSuspendedImage = () => false;
    }
  }, 90_000);

  it('a revert while the branch moves is reported as what it is: rolled_back, and the others succeed', async () => {
    const [bad, ...others] = services.slice(1, 6);
    const badBase = stagingOnly(world.plan(bad!));
    const badPlan: ReleasePlan = {
      ...badBase,
      image: { ...badBase.image, tag: `${badBase.commit.sha.slice(0, 8)}-bad` },
    };
    await world.pushImage(bad!, badPlan.image.tag);
    const otherPlans = others.map((s) => stagingOnly(world.plan(s)));
    for (const p of otherPlans) await world.pushImage(p.service, p.image.tag);

    const badRelease = await startRelease(temporal.client, badPlan, { taskQueue: worker.taskQueue });
    // The others bump the same branch while the bad one rolls out, degrades and is reverted.
    const otherReleases = [];
    for (const p of otherPlans) {
      otherReleases.push(await startRelease(temporal.client, p, { taskQueue: worker.taskQueue }));
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await badRelease.handle.result().catch(() => undefined);
    const t = await badRelease.handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(t.error ?? '').not.toContain('ROLLBACK FAILED');
    const others_ = await Promise.all(otherReleases.map((r) => r.handle.result()));
    expect(others_.map((r) => r.status)).toEqual(others.map(() => 'succeeded'));

    const file = world.service(bad!).environments[0]!.target.file;
    expect(await tagOnMain(world, file, false)).toBe(world.previousTag);
    const app = world.argocd.app(`${bad}-staging`);
    expect(app.status.summary.images).toEqual([`${badPlan.image.repository}:${world.previousTag}`]);
    for (const p of otherPlans) {
      expect(await tagOnMain(world, world.service(p.service).environments[0]!.target.file, false)).toBe(p.image.tag);
    }
  }, 90_000);
});

describe.each([{ argocdDriver: 'api' as const }, { argocdDriver: 'kubernetes' as const }])(
  'sync windows, instances, namespaces, multi-source ($argocdDriver driver)',
  ({ argocdDriver }) => {
    const [windowed, twoClusters, namespaced, multi, multiAuto] = names('where', 5);
    let world: IntegrationWorld;
    let production: FakeArgoCd;
    let worker: Awaited<ReturnType<typeof startWorker>>;
    const chart = { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.4.2' };

    beforeAll(async () => {
      world = await createIntegrationWorld({
        argocdDriver,
        services: [windowed!, twoClusters!, namespaced!, multi!, multiAuto!],
        argocdTiming: { pickupMs: 5, operationMs: 30, healthyAfterMs: 40 },
        argocdAppNamespaces: ['team-a'],
        appOptions: {
          [`${namespaced}-staging`]: { namespace: 'team-a' },
          [`${multi}-staging`]: { extraSources: [chart] },
          [`${multiAuto}-staging`]: { extraSources: [chart], automated: true },
          [`${windowed}-staging`]: { project: 'frozen' },
        },
      });
      // A second Argo CD (the production cluster's), following the same infra repository.
      production = new FakeArgoCd({
        ...world.argocdFollower,
        token: 'prod-token',
        pickupMs: 5,
        operationMs: 30,
        healthyAfterMs: 40,
      });
      await production.listen();
      const svc = world.service(twoClusters!);
      production.addApp(`${twoClusters}-production`, {
        revision: world.initialRevision,
        image: `${svc.imageRepository}:${world.previousTag}`,
      });
      const prodPort = createArgoCdApiClient({
        url: production.url,
        token: 'prod-token',
        uiUrl: 'https://argocd-prod.example.com',
      });
      worker = await startWorker((client, taskQueue) => ({
        ...world.deps(client, taskQueue),
        argocdInstances: { production: prodPort },
      }));
    }, 60_000);
    afterAll(async () => {
      await worker?.stop();
      await production?.close();
      await world?.close();
    });

    it('a sync window blocks the deploy, the release says until when, and deploys once it opens', async () => {
      const plan = stagingOnly(world.plan(windowed!));
      await world.pushImage(windowed!, plan.image.tag);
      // A deny window that started this minute and ends 3 s from now (cron has minute resolution).
      const now = new Date();
      const endsAt = new Date(now.getTime() + 3_000);
      const seconds = Math.ceil(
        (endsAt.getTime() -
          Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes())) /
          1000,
      );
      world.argocd.setSyncWindows('frozen', [
        {
          kind: 'deny',
          schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
          duration: `${seconds}s`,
          applications: ['*-staging'],
        },
      ]);
      const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const warning = result.timeline.warnings.find((w) => w.includes('blocked by sync window'));
      expect(warning).toMatch(/staging: blocked by sync window until \d{4}-\d\d-\d\dT/);
      const deploy = result.timeline.stages.find((s) => s.kind === 'deploy');
      expect(Date.parse(String(deploy?.details.blockedBySyncWindow))).toBeGreaterThan(now.getTime());
      // REST: the refused sync was the 403 upstream answers, then a sync after the window closed. Kubernetes:
      // the patched operation was held Running by the controller until the window closed.
      const syncs = world.argocd.syncRequests.filter((r) => r.application === `${windowed}-staging`);
      if (argocdDriver === 'api') expect(syncs[0]!.outcome).toBe(403);
      expect(syncs.at(-1)!.outcome).toBe(200);
      const deployedAt = world.argocd.app(`${windowed}-staging`).status.history.at(-1)!.deployedAt as string;
      expect(Date.parse(deployedAt)).toBeGreaterThanOrEqual(Math.floor(endsAt.getTime() / 1000) * 1000 - 1000);
      // Slack heard about it in the release's thread.
      const texts = world.slack
        .messages(RELEASES_CHANNEL.id)
        .flatMap((m) => [m, ...world.slack.thread(RELEASES_CHANNEL.id, m.ts)])
        .map((m) => JSON.stringify(m));
      expect(texts.some((t) => t.includes('blocked by sync window until'))).toBe(true);
    }, 60_000);

    it('deploys production through a second Argo CD instance', async () => {
      const base = world.plan(twoClusters!);
      const plan: ReleasePlan = {
        ...base,
        environments: base.environments.map((e) =>
          e.name === 'production' ? { ...e, approval: undefined, argocd: { ...e.argocd, instance: 'production' } } : e,
        ),
      };
      await world.pushImage(twoClusters!, plan.image.tag);
      const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(production.syncRequests.map((r) => r.application)).toEqual([`${twoClusters}-production`]);
      expect(production.app(`${twoClusters}-production`).status.summary.images).toEqual([
        `${plan.image.repository}:${plan.image.tag}`,
      ]);
      // The default instance never heard of production.
      expect(world.argocd.syncRequests.some((r) => r.application === `${twoClusters}-production`)).toBe(false);
      expect(result.timeline.links['argocd:production']).toBe(
        `https://argocd-prod.example.com/applications/${twoClusters}-production`,
      );
    }, 60_000);

    it('deploys an app that lives in another namespace (appNamespace)', async () => {
      const base = stagingOnly(world.plan(namespaced!));
      const plan: ReleasePlan = {
        ...base,
        environments: base.environments.map((e) => ({ ...e, argocd: { ...e.argocd, namespace: 'team-a' } })),
      };
      await world.pushImage(namespaced!, plan.image.tag);
      const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const syncs = world.argocd.syncRequests.filter((r) => r.application === `${namespaced}-staging`);
      expect(syncs.map((r) => r.namespace)).toEqual(['team-a']);
      if (argocdDriver === 'api') expect((syncs[0]!.body as { appNamespace?: string }).appNamespace).toBe('team-a');
      expect(world.argocd.app(`${namespaced}-staging`, 'team-a').status.summary.images).toEqual([
        `${plan.image.repository}:${plan.image.tag}`,
      ]);
    }, 60_000);

    it('deploys multi-source apps: the infra repo source decides (manual and auto-sync)', async () => {
      const plans = [multi!, multiAuto!].map((s) => stagingOnly(world.plan(s)));
      for (const p of plans) await world.pushImage(p.service, p.image.tag);
      const handles = await Promise.all(
        plans.map(async (p) => (await startRelease(temporal.client, p, { taskQueue: worker.taskQueue })).handle),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      const manual = world.argocd.syncRequests.filter((r) => r.application === `${multi}-staging`);
      expect(manual.map((r) => r.body)).toMatchObject([
        argocdDriver === 'api'
          ? { revisions: ['main'], sourcePositions: [2] }
          : { sync: { revisions: ['1.4.2', 'main'] }, initiatedBy: { username: 'runway' } },
      ]);
      expect(world.argocd.syncRequests.filter((r) => r.application === `${multiAuto}-staging`)).toEqual([]);
      for (const p of plans) {
        const app = world.argocd.app(`${p.service}-staging`);
        expect(app.status.summary.images).toEqual([`${p.image.repository}:${p.image.tag}`]);
        expect(app.status.sync.revisions?.[0]).toBe('1.4.2');
        expect(app.status.operationState?.syncResult?.revisions?.[0]).toBe('1.4.2');
      }
    }, 60_000);
  },
);
