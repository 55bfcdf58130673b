import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../workflows/messages.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

const deployWindow = (t: ReleaseTimeline) => {
  const s = t.stages.find((x) => x.kind === 'deploy')!;
  return [Date.parse(s.startedAt!), Date.parse(s.endedAt!)] as const;
};

describe('release: identity and concurrency', () => {
  it('a duplicate start for the same commit returns the same workflow', async () => {
    const plan = testPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const first = await start(h, plan);
    const second = await start(h, plan);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.handle.workflowId).toBe(first.handle.workflowId);
    const [a, b] = await Promise.all([first.handle.describe(), second.handle.describe()]);
    expect(b.runId).toBe(a.runId);
    await first.handle.terminate('test done');
    // even after it finished, a redelivery does not start it again
    expect((await start(h, plan)).created).toBe(false);
  });

  it('a newer release supersedes an older one waiting for approval', async () => {
    const older = testPlan();
    seedEnvironments(h.world, older);
    h.world.registry.publish(older.image);
    const a = await start(h, older);
    await waitFor(async () => (await a.handle.query(statusQuery)).status === 'awaiting_approval');

    const newer = testPlan({ service: older.service });
    h.world.registry.publish(newer.image);
    const b = await start(h, newer);
    const resultA = await a.handle.result();
    expect(resultA.status).toBe('superseded');
    expect(resultA.timeline.error).toContain(newer.releaseId);
    await waitFor(async () => (await b.handle.query(statusQuery)).status === 'awaiting_approval');
    // production never saw the older release
    expect(h.world.infra.commits.filter((c) => c.changeId.startsWith(`${older.releaseId}/production`))).toHaveLength(0);
    await b.handle.terminate('test done');
  });

  it('releases of one service change environments one at a time; different services run in parallel', async () => {
    h.world.argocd.setProgressMs(1_500);
    const stagingOnly = (p: ReturnType<typeof testPlan>) => ({ ...p, environments: p.environments.slice(0, 1) });
    const one = stagingOnly(testPlan());
    const two = stagingOnly(testPlan({ service: one.service }));
    const other = stagingOnly(testPlan());
    for (const p of [one, two, other]) {
      seedEnvironments(h.world, p);
      h.world.registry.publish(p.image);
    }
    // `two` is the newer commit (order is by history): it queues behind `one` instead of superseding it.
    h.world.gitlab.commit(one.project.id, one.commit.sha);
    h.world.gitlab.commit(one.project.id, two.commit.sha);
    const first = await start(h, one);
    await waitFor(async () => (await first.handle.query(statusQuery)).stage === 'deploy:staging');
    const handles = [first, ...(await Promise.all([two, other].map((p) => start(h, p))))];
    const [r1, r2, r3] = await Promise.all(handles.map((x) => x.handle.result()));
    h.world.argocd.setProgressMs(30);
    for (const r of [r1!, r2!, r3!]) expect(r.status).toBe('succeeded');

    const [a, b] = [deployWindow(r1!.timeline), deployWindow(r2!.timeline)].sort((x, y) => x[0] - y[0]);
    expect(a![1]).toBeLessThanOrEqual(b![0]); // same service: no overlap
    const c = deployWindow(r3!.timeline);
    const overlapsSomething = [a!, b!].some(([s, e]) => c[0] < e && s < c[1]);
    expect(overlapsSomething).toBe(true); // another service: in parallel
  });
});
