import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { pipelineSignal, statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

const stagingOnly = (plan: ReturnType<typeof testPlan>) => ({ ...plan, environments: plan.environments.slice(0, 1) });

describe('release: image stage', () => {
  it('skips the build when the registry already holds the image', async () => {
    const plan = stagingOnly(testPlan());
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle } = await start(h, plan);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages[0]).toMatchObject({
      kind: 'image',
      state: 'skipped',
      details: { buildSkipped: true },
    });
    expect(h.world.faults.count('gitlab.latestPipeline')).toBe(0);
  });

  it('waits for the pipeline, woken by the pipeline webhook signal', async () => {
    const plan = stagingOnly(testPlan({ pipeline: { timeoutMs: 60_000, pollIntervalMs: 60_000 } }));
    seedEnvironments(h.world, plan);
    h.world.gitlab.setPipeline(plan.commit.sha, {
      id: 77,
      status: 'running',
      webUrl: 'https://gitlab.example.com/p/77',
    });
    const { handle } = await start(h, plan);
    await waitFor(
      async () => detailsOf((await handle.query(statusQuery)).stages[0], 'image')?.pipelineStatus === 'running',
    );
    // the build finishes: image pushed, webhook arrives (the 60 s poll would be far too slow)
    h.world.registry.publish(plan.image);
    h.world.gitlab.setPipeline(plan.commit.sha, { id: 77, status: 'success' });
    await handle.signal(pipelineSignal, { pipelineId: 77, status: 'success' });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages[0]).toMatchObject({
      state: 'succeeded',
      details: { buildSkipped: false, pipelineId: 77 },
    });
  });

  it('falls back to polling when no webhook arrives', async () => {
    const plan = stagingOnly(testPlan({ pipeline: { timeoutMs: 30_000, pollIntervalMs: 100 } }));
    seedEnvironments(h.world, plan);
    h.world.gitlab.setPipeline(plan.commit.sha, { id: 78, status: 'pending' });
    const { handle } = await start(h, plan);
    await waitFor(() => h.world.faults.count('gitlab.latestPipeline') >= 2 || undefined);
    h.world.registry.publish(plan.image);
    h.world.gitlab.setPipeline(plan.commit.sha, { id: 78, status: 'success' });
    expect((await handle.result()).status).toBe('succeeded');
  });

  it('fails on a failed pipeline, names the job and its URL, and bumps nothing', async () => {
    const plan = stagingOnly(testPlan());
    seedEnvironments(h.world, plan);
    const job = { name: 'build-image', stage: 'build', url: 'https://gitlab.example.com/acme/x/-/jobs/991' };
    h.world.gitlab.setPipeline(plan.commit.sha, { id: 79, status: 'failed', failedJob: job });
    const { handle } = await start(h, plan);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toContain('job "build-image" failed');
    const timeline = await handle.query(statusQuery);
    expect(timeline.status).toBe('failed');
    expect(timeline.links.failedJob).toBe(job.url);
    expect(timeline.stages.map((s) => s.kind)).toEqual(['image']);
    expect(h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId))).toHaveLength(0);
    const failed = h.world.slack.notifications.find(
      (n) => n.timeline.releaseId === plan.releaseId && n.kind === 'failed',
    );
    expect(failed?.timeline.links.failedJob).toBe(job.url);
    expect(h.world.gitlab.notes.find((n) => n.projectId === plan.project.id)?.body).toContain(job.url);
  });

  it('fails when the pipeline does not finish in time', async () => {
    const plan = stagingOnly(testPlan({ pipeline: { timeoutMs: 600, pollIntervalMs: 100 } }));
    seedEnvironments(h.world, plan);
    const { handle } = await start(h, plan);
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const timeline = await handle.query(statusQuery);
    expect(timeline.error).toMatch(/no successful pipeline .* within 600 ms/);
  });
});
