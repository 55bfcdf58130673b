// The newest commit wins, in every environment: releases of a service are ordered by the target branch's
// history (GitLab's merge-base answer), never by arrival. Real Temporal, the memory world's GitLab history.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages.js';
import type { ReleasePlan } from '../../domain/types.js';
import type { ReleaseResult } from '../../workflows/release.js';
import { environmentLockId } from '../../domain/ids.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ deps: { lockSettings: { idleMs: 500, livenessCheckMs: 300 } } });
  await h.startWorker();
});
afterAll(async () => h?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newSha = () => randomUUID().replace(/-/g, '').padEnd(40, 'a').slice(0, 40);

/** `n` commits of one service's project, each the parent of the next: oldest first. */
function history(service: string, n: number): string[] {
  const shas = Array.from({ length: n }, newSha);
  for (const sha of shas) h.world.gitlab.commit(`acme/${service}`, sha);
  return shas;
}

/** Both environments deploy without approval. */
function autoPlan(service: string, sha: string): ReleasePlan {
  const plan = testPlan({ service, sha });
  plan.environments = plan.environments.map((e) => ({ ...e, approval: undefined }));
  return plan;
}

const outcome = (handle: WorkflowHandle) =>
  (handle.result() as Promise<ReleaseResult>).catch((err: Error) => ({ status: 'failed', error: err.message }));

function tagsNow(plan: ReleasePlan): string[] {
  return plan.environments.map((e) => h.world.infra.imageAt(e.target)!.tag);
}

function commitsBy(plan: ReleasePlan) {
  return h.world.infra.commits.filter((c) => c.changeId.startsWith(`${plan.releaseId}/`));
}

/** In every environment file, no commit of `older` comes after the first commit of `newer`. */
function neverAfter(older: ReleasePlan, newer: ReleasePlan): void {
  for (const env of older.environments) {
    const log = h.world.infra.commits.filter((c) => c.file === env.target.file);
    const firstNewer = log.findIndex((c) => c.changeId.startsWith(`${newer.releaseId}/`));
    const lastOlder = log.findLastIndex((c) => c.changeId.startsWith(`${older.releaseId}/`));
    if (firstNewer >= 0) expect(lastOlder).toBeLessThan(firstNewer);
  }
}

describe('release ordering: the newest commit wins', () => {
  it('two merges 1 s apart: every environment ends on the newer commit; the newer queued behind the older', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = autoPlan(service, c1!);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, older);
    for (const p of [older, newer]) h.world.registry.publish(p.image);
    h.world.argocd.setProgressMs(1_500);
    try {
      const a = await start(h, older);
      await sleep(1_000);
      const b = await start(h, newer);
      const [ra, rb] = await Promise.all([outcome(a.handle), outcome(b.handle)]);
      expect(rb.status).toBe('succeeded');
      expect(['succeeded', 'superseded']).toContain(ra.status);
      expect(tagsNow(newer)).toEqual([c2, c2]);
      neverAfter(older, newer);
      const olderTook = (ra as ReleaseResult).timeline.stages.some((s) => s.kind === 'deploy');
      if (olderTook) {
        // The usual case: the older one was deploying staging when the newer arrived.
        const queued = (rb as ReleaseResult).timeline.stages.filter((s) => s.kind === 'queue');
        expect(queued.length).toBeGreaterThan(0);
        expect(queued[0]!.details.queuedBehind).toBe(older.releaseId);
        expect(queued[0]!.details.note).toBe(`queued behind ${older.releaseId}`);
      } else {
        expect(ra.status).toBe('superseded'); // a slow machine: the newer one got there first
      }
    } finally {
      h.world.argocd.setProgressMs(30);
    }
  });

  it('the older merge arriving 1 s after the newer: it ends superseded, naming the newer, and touches nothing', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = autoPlan(service, c1!);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, older);
    for (const p of [older, newer]) h.world.registry.publish(p.image);
    h.world.argocd.setProgressMs(1_500);
    try {
      const b = await start(h, newer);
      await sleep(1_000);
      // (on a slow machine, make sure the newer one has reached staging by then)
      await waitFor(async () => (await b.handle.query(statusQuery)).stage.startsWith('deploy'));
      const a = await start(h, older);
      const [ra, rb] = await Promise.all([outcome(a.handle), outcome(b.handle)]);
      expect(rb.status).toBe('succeeded');
      expect(ra.status).toBe('superseded');
      const timeline = (ra as ReleaseResult).timeline;
      expect(timeline.error).toContain(newer.releaseId);
      expect(timeline.error).toContain('staging');
      expect(timeline.stages.find((s) => s.kind === 'queue')?.details.supersededBy).toBe(newer.releaseId);
      expect(timeline.stages.some((s) => s.kind === 'deploy')).toBe(false);
      expect(commitsBy(older)).toHaveLength(0);
      expect(tagsNow(newer)).toEqual([c2, c2]);
    } finally {
      h.world.argocd.setProgressMs(30);
    }
  });

  it('an older commit whose build finishes after the newer release deployed never deploys', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = autoPlan(service, c1!);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, older);
    h.world.gitlab.setPipeline(c1!, { id: 1, status: 'running' });
    const a = await start(h, older);
    await waitFor(async () => (await a.handle.query(statusQuery)).stage === 'image');

    h.world.registry.publish(newer.image);
    const rb = await outcome((await start(h, newer)).handle);
    expect(rb.status).toBe('succeeded');
    // The older build now finishes.
    h.world.registry.publish(older.image);
    h.world.gitlab.setPipeline(c1!, { id: 1, status: 'success' });
    const ra = (await outcome(a.handle)) as ReleaseResult;
    expect(ra.status).toBe('superseded');
    expect(ra.timeline.error).toContain(newer.releaseId);
    expect(commitsBy(older)).toHaveLength(0);
    expect(tagsNow(newer)).toEqual([c2, c2]);
  });

  it('an older release still waiting for its build is superseded as soon as a newer one takes the environment', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = autoPlan(service, c1!);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, older);
    h.world.gitlab.setPipeline(c1!, { id: 2, status: 'running' }); // its build never finishes
    const a = await start(h, older);
    await waitFor(async () => (await a.handle.query(statusQuery)).stage === 'image');
    h.world.registry.publish(newer.image);
    const b = await start(h, newer);
    const ra = (await outcome(a.handle)) as ReleaseResult;
    expect(ra.status).toBe('superseded');
    expect(ra.timeline.error).toContain(newer.releaseId);
    const image = ra.timeline.stages.find((s) => s.kind === 'image')!;
    expect(image.state).toBe('cancelled');
    expect(image.details.supersededBy).toBe(newer.releaseId);
    expect((await outcome(b.handle)).status).toBe('succeeded');
    expect(commitsBy(older)).toHaveLength(0);
  });

  it('a late redelivery of an old merge, after the lock went idle and ended, is superseded by what it inherited', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2, c3] = history(service, 3);
    const newer = autoPlan(service, c3!);
    seedEnvironments(h.world, newer);
    h.world.registry.publish(newer.image);
    expect((await outcome((await start(h, newer)).handle)).status).toBe('succeeded');

    // Both environment locks end when idle, leaving the newest release in their result.
    for (const env of ['staging', 'production']) {
      const lock = h.client.workflow.getHandle(environmentLockId(service, env));
      await waitFor(async () => (await lock.describe()).status.name === 'COMPLETED', 10_000);
      expect(await lock.result()).toMatchObject({ newest: { releaseId: newer.releaseId, sha: c3 } });
    }

    for (const sha of [c1!, c2!]) {
      const late = autoPlan(service, sha);
      h.world.registry.publish(late.image);
      const result = (await outcome((await start(h, late)).handle)) as ReleaseResult;
      expect(result.status).toBe('superseded');
      expect(result.timeline.error).toContain(newer.releaseId);
      expect(commitsBy(late)).toHaveLength(0);
    }
    expect(tagsNow(newer)).toEqual([c3, c3]);
  });

  it('a newer release still deploys over an older one that already deployed (order is by history, not by time)', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = autoPlan(service, c1!);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, older);
    for (const p of [older, newer]) h.world.registry.publish(p.image);
    expect((await outcome((await start(h, older)).handle)).status).toBe('succeeded');
    expect((await outcome((await start(h, newer)).handle)).status).toBe('succeeded');
    expect(tagsNow(newer)).toEqual([c2, c2]);
  });

  it('a failing older release never reverts an environment a newer one deployed since (rollback: all)', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const older = { ...autoPlan(service, c1!), rollback: 'all' as const };
    const newer = { ...autoPlan(service, c2!), rollback: 'all' as const };
    seedEnvironments(h.world, older);
    for (const p of [older, newer]) h.world.registry.publish(p.image);
    h.world.argocd.degradeWhen(`${service}-production`, (image) => image.tag === c1);
    h.world.argocd.setProgressMs(1_500);
    try {
      const a = await start(h, older);
      await waitFor(async () => (await a.handle.query(statusQuery)).stage === 'deploy:production');
      const b = await start(h, newer); // takes staging while the older one is still in production
      const [ra, rb] = await Promise.all([outcome(a.handle), outcome(b.handle)]);
      expect(ra.status).toBe('failed'); // the workflow fails; its timeline says how
      expect((await a.handle.query(statusQuery)).status).toBe('rolled_back');
      expect(rb.status).toBe('succeeded');
      const stagingRevert = (await a.handle.query(statusQuery)).stages.find(
        (s) => s.kind === 'rollback' && s.environment === 'staging',
      );
      expect(stagingRevert?.state).toBe('skipped');
      expect(detailsOf(stagingRevert, 'rollback')?.supersededBy).toBe(newer.releaseId);
      expect(commitsBy(older).filter((c) => c.changeId.endsWith('/staging/rollback'))).toHaveLength(0);
      expect(tagsNow(newer)).toEqual([c2, c2]);
    } finally {
      h.world.argocd.setProgressMs(30);
    }
  });

  it('costs an uncontended release one lockGranted signal per environment and no timer firing', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1] = history(service, 1);
    const plan = autoPlan(service, c1!);
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle } = await start(h, plan);
    expect((await outcome(handle)).status).toBe('succeeded');
    const events = (await handle.fetchHistory()).events ?? [];
    const signals = events.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
    expect(signals).toEqual(['lockGranted', 'lockGranted']);
    expect(events.filter((e) => e.timerFiredEventAttributes)).toHaveLength(0);
    // The lease-renewal timers were started and cancelled within tasks the release had anyway.
    expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(2);
    expect(events.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(2);
  });

  it("an operator's rollback to an older version is not ordered away; later old merges still are", async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2, c3] = history(service, 3);
    const released = autoPlan(service, c3!);
    seedEnvironments(h.world, released, c2);
    h.world.registry.publish(released.image);
    expect((await outcome((await start(h, released)).handle)).status).toBe('succeeded');

    const staging = released.environments[0]!;
    const rollback: ReleasePlan = {
      ...released,
      releaseId: `rollback/${service}/staging/1`,
      image: { ...released.image, tag: c2! },
      environments: [staging],
      mergeRequest: undefined,
      pipeline: { ...released.pipeline, timeoutMs: 0 },
    };
    h.world.registry.publish(rollback.image);
    const rolledBack = await h.client.workflow.execute('rollbackWorkflow', {
      workflowId: rollback.releaseId,
      taskQueue: h.taskQueue,
      args: [rollback],
    });
    expect((rolledBack as ReleaseResult).status).toBe('succeeded');
    expect(h.world.infra.imageAt(staging.target)!.tag).toBe(c2);

    const late = autoPlan(service, c1!);
    h.world.registry.publish(late.image);
    const result = (await outcome((await start(h, late)).handle)) as ReleaseResult;
    expect(result.status).toBe('superseded');
    expect(result.timeline.error).toContain(released.releaseId);
    expect(commitsBy(late)).toHaveLength(0);
  });

  it("an on-demand deploy of an older commit (an operator's choice) is not superseded", async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    const newer = autoPlan(service, c2!);
    seedEnvironments(h.world, newer);
    h.world.registry.publish(newer.image);
    expect((await outcome((await start(h, newer)).handle)).status).toBe('succeeded');
    const onDemand = { ...autoPlan(service, c1!), releaseId: `deploy/${service}/${c1}/req-1` };
    h.world.registry.publish(onDemand.image);
    expect((await outcome((await start(h, onDemand)).handle)).status).toBe('succeeded');
    expect(tagsNow(onDemand)).toEqual([c1, c1]);
  });

  it('an older merge arriving while the newer waits for approval is superseded and never asks the approvers', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const [c1, c2] = history(service, 2);
    // The newer one arrives first and waits; the older one must not even ask the approvers.
    const newer = testPlan({ service, sha: c2! });
    const older = testPlan({ service, sha: c1! });
    seedEnvironments(h.world, newer);
    for (const p of [older, newer]) h.world.registry.publish(p.image);
    const b = await start(h, newer);
    await waitFor(async () => (await b.handle.query(statusQuery)).status === 'awaiting_approval');
    const a = await start(h, older);
    const ra = (await outcome(a.handle)) as ReleaseResult;
    expect(ra.status).toBe('superseded');
    expect(ra.timeline.error).toContain(newer.releaseId);
    expect(commitsBy(older)).toHaveLength(0);
    const asked = h.world.slack.notifications.filter(
      (n) => n.kind === 'approval_requested' && n.timeline.releaseId === older.releaseId,
    );
    expect(asked).toHaveLength(0);
    await b.handle.terminate('test done');
  });
});
