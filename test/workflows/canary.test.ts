// Canary releases (issue 14) on a real Temporal server, with the real clients against the fake Argo CD and its
// fake Argo Rollouts controller, which follow a real infra repository: a 5-step canary that passes and
// promotes, a check failing at step 2 (abort, git revert, never re-deployed), approve-per-step for approvers
// only, a worker stopped during a pause that resumes at the same step, and blue-green (verify the preview,
// then promote).
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRolloutApiClient } from '../../integrations/argocd-rollout.js';
import type { PrometheusPort } from '../../integrations/prometheus.js';
import { startRelease } from '../../api/releases.js';
import type { EnvironmentPlan, ReleasePlan, ReleaseTimeline } from '../../domain/types.js';
import { FakeArgoRollouts, podTemplateHash, type FakeCanaryStep } from '../../fakes/argo-rollouts.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { canaryCommandUpdate } from '../../workflows/canary-messages.js';
import { statusQuery } from '../../workflows/messages.js';
import { TIME_SCALE, waitFor } from '../support/harness.js';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { CanaryService } from '../../api/canary-service.js';
import { ReleaseService } from '../../api/release-service.js';
import { runSubcommand } from '../../api/slack/subcommands.js';
import { parseConfig } from '../../config/load.js';
import { createLogger } from '../../platform/logger.js';
import { APPROVERS, createIntegrationWorld, type IntegrationWorld } from '../support/integration-world.js';

const FIVE_STEPS: FakeCanaryStep[] = [
  { setWeight: 11 },
  { pause: {} },
  { setWeight: 33 },
  { pause: {} },
  { setWeight: 100 },
];
// One service per test: each test has its own task queue, and a service's environment lock lives on the first.
const SERVICES = ['passes', 'fails', 'approve', 'restart', 'bluegreen', 'missing', 'doors', 'rbac'].map(
  (n) => `${n}-${randomUUID().slice(0, 5)}`,
);
const [PASSES, FAILS, APPROVE, RESTART, BLUEGREEN, MISSING, DOORS, RBAC] = SERVICES as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

let world: IntegrationWorld;
let rollouts: FakeArgoRollouts;
let client: Client;
let connection: Connection;
let native: NativeConnection;
/** Every query the checks sent, and what each answers (by the hash it selects). */
const queries: string[] = [];
const errorRatioByHash = new Map<string, number>();

const prometheus: PrometheusPort = {
  async queryValue(query) {
    queries.push(query);
    const hash = /pod_template_hash="([^"]*)"/.exec(query)?.[1] ?? '';
    return errorRatioByHash.get(hash) ?? 0.002;
  },
};

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  world = await createIntegrationWorld({ services: SERVICES });
  rollouts = new FakeArgoRollouts({ podReadyMs: 30, secondMs: 50 });
  world.argocd.attachRollouts(rollouts);
  for (const name of SERVICES) {
    const s = world.service(name);
    rollouts.add({
      application: `${name}-production`,
      name,
      namespace: name,
      replicas: 9,
      image: `${s.imageRepository}:${world.previousTag}`,
      ...(name === BLUEGREEN
        ? {
            blueGreen: {
              activeService: `${name}-active`,
              previewService: `${name}-preview`,
              autoPromotionEnabled: false,
            },
          }
        : { canary: { steps: FIVE_STEPS } }),
    });
  }
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address });
}, 120_000);

afterAll(async () => {
  rollouts?.close();
  await native?.close();
  await connection?.close();
  await world?.close();
});

async function startWorker(taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const worker: Worker = await createRunwayWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps: {
      ...world.deps(client, taskQueue),
      prometheus,
      rollouts: () => createRolloutApiClient({ url: world.argocd.url, token: world.argocd.token }),
    },
    workflowBundle: { code: inject('workflowBundleCode') },
    overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
  });
  const running = worker.run();
  return {
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Production only, as a canary on the service's Rollout, checked at every pause. */
function canaryPlan(service: string, options: { approveSteps?: boolean } = {}): ReleasePlan {
  const base = world.plan(service);
  const production = base.environments.find((e) => e.name === 'production')!;
  const environment: EnvironmentPlan = {
    ...production,
    approval: undefined,
    healthTimeoutMs: 20_000,
    rollout: {
      name: service,
      namespace: service,
      approveSteps: options.approveSteps ?? false,
      verifyEachStep: true,
      promoters: [...APPROVERS],
    },
    verify: {
      durationMs: 200,
      intervalMs: 100,
      failureLimit: 0,
      inconclusive: 'fail',
      checks: [
        {
          name: 'error-rate',
          prometheus: `sum(rate(http_requests_total{code=~"5..",pod_template_hash="{canaryHash}"}[1m])) / ignoring() {weight}`,
          max: 0.01,
        },
      ],
    },
  };
  return { ...base, environments: [environment] };
}

const canaryStage = (t: ReleaseTimeline) => t.stages.find((s) => s.kind === 'canary');
type Handle = Awaited<ReturnType<typeof startRelease>>['handle'];
const waitingAt = async (handle: Handle, step: string) =>
  waitFor(async () => {
    const t = await handle.query(statusQuery);
    const stage = canaryStage(t);
    return stage?.details.gate === 'waiting' && String(stage.details.step).startsWith(step) ? t : undefined;
  }, 30_000 * TIME_SCALE);

describe('canary releases', () => {
  it('runs a 5-step canary: checks at each pause against the canary pods, resumes, promotes', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const plan = canaryPlan(PASSES);
      await world.pushImage(PASSES, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const stage = canaryStage(result.timeline)!;
      expect(stage.state).toBe('succeeded');
      expect(String(stage.details.steps).split('\n')).toEqual([
        'canary step 2 of 5: 11 % (1 of 9 pods) — error-rate 0.2 % ≤ 1 %',
        'canary step 4 of 5: 33 % (3 of 9 pods) — error-rate 0.2 % ≤ 1 %',
      ]);
      // The queries selected the canary's pods and carried its weight.
      const hash = podTemplateHash(`${world.service(PASSES).imageRepository}:${plan.image.tag}`);
      expect(queries).toContain(
        `sum(rate(http_requests_total{code=~"5..",pod_template_hash="${hash}"}[1m])) / ignoring() 11`,
      );
      const live = rollouts.get(PASSES, PASSES)!;
      expect(live.status.stableRS).toBe(hash);
      expect(live.status.phase).toBe('Healthy');
      expect(rollouts.log.filter((l) => l.startsWith(`${PASSES}/${PASSES} resume`))).toHaveLength(2);
      expect(rollouts.log.some((l) => l.startsWith(`${PASSES}/${PASSES} abort`))).toBe(false);
    } finally {
      await worker.stop();
    }
  });

  it('a check failing at step 2 aborts the Rollout, reverts the bump in git and never re-deploys it', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const plan = canaryPlan(FAILS);
      const image = `${world.service(FAILS).imageRepository}:${plan.image.tag}`;
      errorRatioByHash.set(podTemplateHash(image), 0.05);
      await world.pushImage(FAILS, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      const result = await handle.result().catch(async () => ({
        status: (await handle.query(statusQuery)).status,
        timeline: await handle.query(statusQuery),
      }));
      expect(result.status).toBe('rolled_back');
      expect(result.timeline.error).toContain(
        'canary step 2 of 5: 11 % (1 of 9 pods): check "error-rate" failed in production: 5 %, expected ≤ 1 %; values: 5 %',
      );
      const stage = canaryStage(result.timeline)!;
      expect(stage.state).toBe('failed');
      expect(stage.details.aborted).toBe('aborted at canary step 2 of 5: 11 % (1 of 9 pods)');
      // The ended stage says what happened, not its last "where it is".
      expect(stage.details.summary).toBe('check "error-rate" failed at canary step 2 of 5: 11 % (1 of 9 pods)');
      expect(rollouts.log.filter((l) => l.startsWith(`${FAILS}/${FAILS} abort`))).toHaveLength(1);
      expect(rollouts.log.some((l) => l.startsWith(`${FAILS}/${FAILS} resume`))).toBe(false);
      // Reverted in git and healthy on the stable version again.
      const file = world.service(FAILS).environments[1]!.target.file;
      expect(await world.infra.show('main', file)).toContain(`tag: ${world.previousTag}`);
      const rollback = result.timeline.stages.find((s) => s.kind === 'rollback')!;
      expect(rollback.state).toBe('succeeded');
      const stable = podTemplateHash(`${world.service(FAILS).imageRepository}:${world.previousTag}`);
      await new Promise((r) => setTimeout(r, 500));
      const live = rollouts.get(FAILS, FAILS)!;
      expect(live.spec.template.spec.containers[0]!.image).toBe(
        `${world.service(FAILS).imageRepository}:${world.previousTag}`,
      );
      expect([live.status.stableRS, live.status.currentPodHash, live.status.phase]).toEqual([
        stable,
        stable,
        'Healthy',
      ]);
      // Argo CD never synced the bad version again after the revert.
      const syncs = world.argocd.operationsStarted.filter((o) => o.application === `${FAILS}-production`);
      expect(syncs.at(-1)!.revision).toBe(rollback.details.infraCommit);
    } finally {
      await worker.stop();
    }
  });

  it('with approveSteps, waits at each pause for an approver: others are refused, Promote and Promote fully work', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const plan = canaryPlan(APPROVE, { approveSteps: true });
      await world.pushImage(APPROVE, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      await waitingAt(handle, 'canary step 2 of 5');
      const refused = handle.executeUpdate(canaryCommandUpdate, {
        args: [{ environment: 'production', by: 'U0MALLORY', action: 'promote' }],
      });
      await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(refused).rejects.toMatchObject({ cause: { message: expect.stringContaining('not allowed') } });
      const given = await handle.executeUpdate(canaryCommandUpdate, {
        args: [{ environment: 'production', by: APPROVERS[0], action: 'promote' }],
      });
      expect(given.step).toBe('canary step 2 of 5: 11 % (1 of 9 pods)');
      await waitingAt(handle, 'canary step 4 of 5');
      await handle.executeUpdate(canaryCommandUpdate, {
        args: [{ environment: 'production', by: APPROVERS[1], action: 'promote-full' }],
      });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(result.timeline.actions?.map((a) => [a.action, a.by])).toEqual([
        ['promote', APPROVERS[0]],
        ['promote-full', APPROVERS[1]],
      ]);
      expect(rollouts.log.filter((l) => l.startsWith(`${APPROVE}/${APPROVE} promote-full`))).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('a worker stopped during a pause: the next one resumes at the same step', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    let worker = await startWorker(taskQueue);
    const plan = canaryPlan(RESTART, { approveSteps: true });
    await world.pushImage(RESTART, plan.image.tag);
    const { handle } = await startRelease(client, plan, { taskQueue });
    await waitingAt(handle, 'canary step 2 of 5');
    await worker.stop();
    // Meanwhile the Rollout stays paused at step 2: nobody resumed it.
    await new Promise((r) => setTimeout(r, 300));
    expect(rollouts.get(RESTART, RESTART)!.status.currentStepIndex).toBe(1);
    worker = await startWorker(taskQueue);
    try {
      await handle.executeUpdate(canaryCommandUpdate, {
        args: [{ environment: 'production', by: APPROVERS[0], action: 'promote' }],
      });
      await waitingAt(handle, 'canary step 4 of 5');
      await handle.executeUpdate(canaryCommandUpdate, {
        args: [{ environment: 'production', by: APPROVERS[0], action: 'promote' }],
      });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(String(canaryStage(result.timeline)!.details.steps).split('\n')).toHaveLength(2);
      expect(rollouts.log.filter((l) => l.startsWith(`${RESTART}/${RESTART} resume`))).toHaveLength(2);
    } finally {
      await worker.stop();
    }
  });

  it('a rollout that names a missing Rollout fails the release at once, before any bump, naming it', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const base = canaryPlan(MISSING);
      const env = base.environments[0]!;
      const plan = { ...base, environments: [{ ...env, rollout: { ...env.rollout!, name: 'paymnets' } }] };
      await world.pushImage(MISSING, plan.image.tag);
      const before = (await world.infra.log()).length;
      const { handle } = await startRelease(client, plan, { taskQueue });
      await expect(handle.result()).rejects.toThrow();
      const t = await handle.query(statusQuery);
      expect(t.status).toBe('failed');
      expect(t.error).toContain(`Rollout ${MISSING}/paymnets of Argo CD application ${MISSING}-production not found`);
      expect((await world.infra.log()).length).toBe(before);
    } finally {
      await worker.stop();
    }
  });

  it('blue-green: verifies the preview pods, then promotes', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const plan = canaryPlan(BLUEGREEN);
      await world.pushImage(BLUEGREEN, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const hash = podTemplateHash(`${world.service(BLUEGREEN).imageRepository}:${plan.image.tag}`);
      expect(queries.some((q) => q.includes(`pod_template_hash="${hash}"`) && q.endsWith(' 0'))).toBe(true);
      expect(String(canaryStage(result.timeline)!.details.steps)).toContain('blue-green preview: 9 of 9 pods');
      const live = rollouts.get(BLUEGREEN, BLUEGREEN)!;
      expect([live.status.blueGreen.activeSelector, live.status.stableRS]).toEqual([hash, hash]);
    } finally {
      await worker.stop();
    }
  });
  it('Promote over REST and Abort with /runway: approvers only, recorded, and the abort reverts', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    try {
      const config = parseConfig(
        `
temporal: { taskQueue: ${taskQueue} }
api:
  tokens:
    - { name: ${APPROVERS[0]}, token: tok-alice, roles: [approve] }
    - { name: U0MALLORY, token: tok-mallory, roles: [approve] }
services:
  ${DOORS}:
    gitlab: { project: acme/${DOORS} }
    image: { repository: r.example.com/${DOORS} }
    infra: { driver: git, repository: https://git.example.com/infra.git }
    environments:
      - name: production
        manifest: { file: values.yaml, helm: { tagPath: image.tag } }
        argocd: { application: ${DOORS}-production }
        approval: { channel: '#releases', approvers: [${APPROVERS.join(', ')}] }
        rollout: { name: ${DOORS}, namespace: ${DOORS} }
        canary: { approveSteps: true }
`,
        {},
      );
      const releases = new ReleaseService(client, config);
      const app = createApp({
        config,
        client,
        releases,
        logger: createLogger('canary-test', 'silent'),
        publicUrl: 'http://runway.test',
      });
      const post = (path: string, token: string, body: unknown) =>
        app.request(path, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      const plan = canaryPlan(DOORS, { approveSteps: true });
      await world.pushImage(DOORS, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      await waitingAt(handle, 'canary step 2 of 5');
      const id = encodeURIComponent(plan.releaseId);
      const refused = await post(`/api/releases/${id}/promote`, 'tok-mallory', { environment: 'production' });
      expect(refused.status).toBe(403);
      const promoted = await post(`/api/releases/${id}/promote`, 'tok-alice', { environment: 'production' });
      expect(promoted.status).toBe(200);
      expect(await promoted.json()).toMatchObject({
        action: 'promote',
        by: APPROVERS[0],
        step: 'canary step 2 of 5: 11 % (1 of 9 pods)',
      });

      await waitingAt(handle, 'canary step 4 of 5');
      const slackDeps = {
        config,
        releases,
        canary: new CanaryService(client, config, releases),
        slack: {
          postEphemeral: async () => ({}),
          updateMessage: async (channel: string, ts: string) => ({ channel, ts }),
        },
        logger: pino({ level: 'silent' }),
      };
      expect(await runSubcommand(slackDeps, `abort ${DOORS} production`, { id: 'U0MALLORY' })).toContain('Not allowed');
      // Visibility (which release runs the canary) may lag the workflow by a moment.
      const reply = await waitFor(async () => {
        const text = await runSubcommand(slackDeps, `abort ${DOORS} production`, { id: APPROVERS[1] });
        return text.startsWith('🛑 Aborted') ? text : undefined;
      });
      expect(reply).toContain('canary step 4 of 5: 33 % (3 of 9 pods)');
      await expect(handle.result()).rejects.toThrow();
      const t = await handle.query(statusQuery);
      expect(t.status).toBe('rolled_back');
      expect(t.error).toContain(`aborted by ${APPROVERS[1]} at canary step 4 of 5: 33 % (3 of 9 pods)`);
      // Aborted while it waited for an approver: the ended stage no longer says it waits.
      const ended = canaryStage(t)!;
      expect(ended.state).toBe('failed');
      expect(ended.details.summary).toBe(`aborted by ${APPROVERS[1]} at canary step 4 of 5: 33 % (3 of 9 pods)`);
      expect(ended.details.commandBy).toBe(APPROVERS[1]);
      expect(ended.details.gate).toBeUndefined();
      expect(t.actions?.map((a) => [a.action, a.by])).toEqual([
        ['promote', APPROVERS[0]],
        ['abort', APPROVERS[1]],
      ]);
      expect(rollouts.log.filter((l) => l.startsWith(`${DOORS}/${DOORS} abort`))).toHaveLength(1);
      const file = world.service(DOORS).environments[1]!.target.file;
      expect(await world.infra.show('main', file)).toContain(`tag: ${world.previousTag}`);
    } finally {
      await worker.stop();
    }
  });
  it('Argo CD refusing the resume action (RBAC) fails the canary naming the permission, and reverts', async () => {
    const taskQueue = `canary-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    world.argocd.denied.add(`applications/action/argoproj.io/Rollout/resume/default/${RBAC}-production`);
    try {
      const plan = canaryPlan(RBAC);
      await world.pushImage(RBAC, plan.image.tag);
      const { handle } = await startRelease(client, plan, { taskQueue });
      await expect(handle.result()).rejects.toThrow();
      const t = await handle.query(statusQuery);
      expect(t.status).toBe('rolled_back');
      expect(t.error).toContain('HTTP 403 permission denied');
      expect(t.error).toContain(`action/argoproj.io/Rollout/resume, <project>/${RBAC}-production`);
      // The abort was allowed: all traffic went back to stable before the revert.
      expect(rollouts.log.filter((l) => l.startsWith(`${RBAC}/${RBAC} abort`))).toHaveLength(1);
      const file = world.service(RBAC).environments[1]!.target.file;
      expect(await world.infra.show('main', file)).toContain(`tag: ${world.previousTag}`);
    } finally {
      world.argocd.denied.clear();
      await worker.stop();
    }
  });
});
