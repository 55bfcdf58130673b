// The environment lock cannot hang: a closed holder or an expired lease is taken over, activity failures never
// end it, an idle lock ends, queued releases say whom they wait for. Real Temporal.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  acquireEnvLockSignal,
  envLockStateQuery,
  statusQuery,
  type EnvLockResult,
  type EnvLockState,
} from '../../workflows/messages.js';
import type { ReleasePlan } from '../../domain/types.js';
import { environmentLockId } from '../../domain/ids.js';
import { transientError } from '../../fakes/memory-faults.js';
import {
  createHarness,
  seedEnvironments,
  start,
  testPlan,
  TIME_SCALE,
  waitFor,
  type Harness,
} from '../support/harness.js';

/** While `frontendDown` is set, the activities' describe() of a release fails as an unavailable frontend would. */
const outage = { frontendDown: false, refused: 0 };
function flakyDescribe(client: Client): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      if (prop !== 'getHandle') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Client['workflow']['getHandle']>) => {
        const handle = target.getHandle(...args);
        if (!String(args[0]).startsWith('release/')) return handle;
        return new Proxy(handle, {
          get(h, p, r) {
            if (p === 'describe' && outage.frontendDown) {
              outage.refused += 1;
              return () => Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
            }
            return Reflect.get(h, p, r) as unknown;
          },
        });
      };
    },
  });
  return new Proxy(client, {
    get: (target, prop, receiver) =>
      prop === 'workflow' ? workflow : (Reflect.get(target, prop, receiver) as unknown),
  });
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    deps: { lockSettings: { leaseMs: 1_500 * TIME_SCALE, livenessCheckMs: 300, idleMs: 800 * TIME_SCALE } },
    activityClient: flakyDescribe,
  });
  await h.startWorker();
});
afterAll(async () => h?.close());

const newSha = () => randomUUID().replace(/-/g, '').padEnd(40, 'b').slice(0, 40);

function stagingOnly(service: string, sha: string): ReleasePlan {
  const plan = testPlan({ service, sha });
  plan.environments = plan.environments.slice(0, 1);
  return plan;
}

function history(service: string, n: number): string[] {
  const shas = Array.from({ length: n }, newSha);
  for (const sha of shas) h.world.gitlab.commit(`acme/${service}`, sha);
  return shas;
}

const lockOf = (service: string) =>
  h.client.workflow.getHandle<(s: EnvLockState) => Promise<EnvLockResult>>(environmentLockId(service, 'staging'));

async function queuedBehind(handle: WorkflowHandle, releaseId: string): Promise<void> {
  await waitFor(async () => {
    const t = await handle.query(statusQuery);
    return t.stages.some((s) => s.kind === 'queue' && s.state === 'running' && s.details.queuedBehind === releaseId);
  });
}

describe('environment lock', () => {
  it('a holder terminated mid-deploy is taken over; the queued release says whom it waited for', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const holder = stagingOnly(service, c1!);
    const next = stagingOnly(service, c2!);
    seedEnvironments(h.world, holder);
    for (const p of [holder, next]) h.world.registry.publish(p.image);
    h.world.argocd.setProgressMs(60_000); // the holder's rollout never settles
    try {
      const a = await start(h, holder);
      await waitFor(async () => (await a.handle.query(statusQuery)).stage === 'deploy:staging');
      const b = await start(h, next);
      await queuedBehind(b.handle, holder.releaseId);
      await a.handle.terminate('operator killed it mid-deploy');
      h.world.argocd.setProgressMs(30);
      const result = await b.handle.result();
      expect(result.status).toBe('succeeded');
      const queue = result.timeline.stages.find((s) => s.kind === 'queue')!;
      expect(queue.state).toBe('succeeded');
      expect(queue.details.note).toBe(`queued behind ${holder.releaseId}`);
      const state = await lockOf(service)
        .query(envLockStateQuery)
        .catch(() => undefined);
      if (state) expect(state.takeovers).toContainEqual(expect.objectContaining({ releaseId: holder.releaseId }));
      expect(h.world.infra.imageAt(next.environments[0]!.target)!.tag).toBe(c2);
    } finally {
      h.world.argocd.setProgressMs(30);
    }
  });

  it('a holder that stops renewing its lease loses the lock when the lease expires', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    // A release stuck on its build stands for a live holder that never renews (e.g. a wedged workflow).
    const stuck = stagingOnly(service, c1!);
    h.world.gitlab.setPipeline(c1!, { id: 7, status: 'running' });
    const s = await start(h, stuck);
    const lockId = environmentLockId(service, 'staging');
    await h.client.workflow.start('environmentLockWorkflow', {
      workflowId: lockId,
      taskQueue: h.taskQueue,
      args: [
        {
          service,
          environment: 'staging',
          settings: { leaseMs: 1_000 * TIME_SCALE, livenessCheckMs: 300, idleMs: 800 * TIME_SCALE },
          queue: [],
          waitingForApproval: [],
          takeovers: [],
        } satisfies EnvLockState,
      ],
    });
    const lock = h.client.workflow.getHandle(lockId);
    await lock.signal(acquireEnvLockSignal, {
      releaseId: stuck.releaseId,
      projectId: stuck.project.id,
      sha: c1!,
      releaseStartedAt: 0,
      purpose: 'deploy',
    });
    await waitFor(async () => (await lock.query(envLockStateQuery)).holder?.releaseId === stuck.releaseId);

    const next = stagingOnly(service, c2!);
    seedEnvironments(h.world, next);
    h.world.registry.publish(next.image);
    const b = await start(h, next);
    const result = await b.handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages.find((x) => x.kind === 'queue')?.details.queuedBehind).toBe(stuck.releaseId);
    const state = await lockOf(service).query(envLockStateQuery);
    expect(state.takeovers).toContainEqual(
      expect.objectContaining({ releaseId: stuck.releaseId, reason: `its lease of ${1_000 * TIME_SCALE} ms expired` }),
    );
    // The stuck (older) release may meanwhile have been superseded by the newer one's grant: it is still building.
    await s.handle.terminate('test done').catch(() => undefined);
  });

  it('survives failing activities (Temporal frontend errors, GitLab errors) and carries on when they pass', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const holder = stagingOnly(service, c1!);
    const next = stagingOnly(service, c2!);
    seedEnvironments(h.world, holder);
    for (const p of [holder, next]) h.world.registry.publish(p.image);
    h.world.argocd.setProgressMs(60_000);
    try {
      const a = await start(h, holder);
      await waitFor(async () => (await a.handle.query(statusQuery)).stage === 'deploy:staging');
      // Every ancestry question fails for a while: the lock orders by arrival meanwhile and keeps going.
      h.world.faults.fail('gitlab.relateCommits', () => transientError('GitLab 502'), 20);
      const b = await start(h, next);
      await queuedBehind(b.handle, holder.releaseId);
      outage.frontendDown = true;
      await a.handle.terminate('holder gone while Temporal answers errors');
      h.world.argocd.setProgressMs(30);
      // Liveness checks fail (each after its retries) and ancestry questions fail: the lock stays up, the
      // holder's lease runs out, and the queued release goes.
      const result = await b.handle.result();
      expect(result.status).toBe('succeeded');
      expect(outage.refused).toBeGreaterThan(0);
      expect(h.world.faults.count('gitlab.relateCommits')).toBeGreaterThan(0);
      const lock = lockOf(service);
      expect(['RUNNING', 'COMPLETED']).toContain((await lock.describe()).status.name);
      const state = await lock.query(envLockStateQuery);
      expect(state.takeovers).toContainEqual(
        expect.objectContaining({
          releaseId: holder.releaseId,
          reason: `its lease of ${1_500 * TIME_SCALE} ms expired`,
        }),
      );
    } finally {
      outage.frontendDown = false;
      h.world.argocd.setProgressMs(30);
    }
  });

  it('an idle lock ends (no timer firing forever) and a new request starts it again', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const first = stagingOnly(service, c1!);
    seedEnvironments(h.world, first);
    h.world.registry.publish(first.image);
    expect((await (await start(h, first)).handle.result()).status).toBe('succeeded');
    const lock = lockOf(service);
    await waitFor(async () => (await lock.describe()).status.name === 'COMPLETED', 10_000);
    const ended = await lock.describe();
    // The idle wait is one timer; no liveness checks ran while nothing was held.
    const events = (await lock.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.timerFiredEventAttributes).length).toBeLessThanOrEqual(5);

    const second = stagingOnly(service, c2!);
    h.world.registry.publish(second.image);
    expect((await (await start(h, second)).handle.result()).status).toBe('succeeded');
    await waitFor(async () => {
      const d = await lock.describe();
      return d.runId !== ended.runId && d.status.name === 'COMPLETED';
    }, 10_000);
    expect(await lock.result()).toMatchObject({
      newest: { releaseId: second.releaseId, previous: { releaseId: first.releaseId } },
    });
  });
});
