import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import type { ReleasePlan } from '../../domain/types.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

function badPlan(overrides: Partial<ReleasePlan> = {}) {
  const plan = testPlan(overrides);
  return { ...plan, image: { ...plan.image, tag: `${plan.commit.sha.slice(0, 8)}-bad` } };
}

const ours = (plan: ReleasePlan) => h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId));

describe('release: rollback', () => {
  it('staging unhealthy → staging reverted, synced, healthy; production untouched', async () => {
    const plan = badPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle } = await start(h, plan);
    await expect(handle.result()).rejects.toThrow();
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(t.error).toContain('Degraded');
    expect(t.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`)).toEqual([
      'image::skipped',
      'deploy:staging:failed',
      'rollback:staging:succeeded',
    ]);
    const commits = ours(plan);
    expect(commits.map((c) => [c.changeId.split('/').slice(-2).join('/'), c.image.tag])).toEqual([
      ['staging/deploy', plan.image.tag],
      ['staging/rollback', 'v1.0.0'],
    ]);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v1.0.0');
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(
      h.world.argocd.syncs.filter((s) => s.application === `${plan.service}-staging`).map((s) => s.revision),
    ).toEqual(commits.map((c) => c.sha));
    const deployment = h.world.gitlab.deployments.find((d) => d.projectId === plan.project.id);
    expect(deployment?.history).toEqual(['running', 'failed']);
    expect(t.links[`argocd:staging`]).toContain(`${plan.service}-staging`);
    expect(t.links.logs).toContain(`service=${plan.service}`);
    const note = h.world.gitlab.notes.find((n) => n.projectId === plan.project.id);
    expect(note?.body).toContain('rolled back');
  });

  it('production unhealthy → production rolled back, staging kept', async () => {
    const plan = testPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    h.world.argocd.degradeWhen(`${plan.service}-production`, (image) => image.tag === plan.image.tag);
    const { handle } = await start(h, plan);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'bob' }] });
    await expect(handle.result()).rejects.toThrow();
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(t.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`)).toEqual([
      'image::skipped',
      'deploy:staging:succeeded',
      'approval:production:succeeded',
      'deploy:production:failed',
      'rollback:production:succeeded',
    ]);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe(plan.image.tag);
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(ours(plan)).toHaveLength(3);
    const deployments = h.world.gitlab.deployments.filter((d) => d.projectId === plan.project.id);
    expect(deployments.map((d) => [d.environment, d.status])).toEqual([
      ['staging', 'success'],
      ['production', 'failed'],
    ]);
  });

  it('with rollback: all, production failing reverts production then staging', async () => {
    const plan = testPlan({ rollback: 'all' });
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    h.world.argocd.degradeWhen(`${plan.service}-production`, (image) => image.tag === plan.image.tag);
    const { handle } = await start(h, plan);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'bob' }] });
    await expect(handle.result()).rejects.toThrow();
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(t.stages.slice(-2).map((s) => `${s.kind}:${s.environment}:${s.state}`)).toEqual([
      'rollback:production:succeeded',
      'rollback:staging:succeeded',
    ]);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v1.0.0');
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(ours(plan).map((c) => c.changeId.split('/').slice(-2).join('/'))).toEqual([
      'staging/deploy',
      'production/deploy',
      'production/rollback',
      'staging/rollback',
    ]);
  });

  it('ends rollback_failed, loudly, when the revert itself cannot be deployed', async () => {
    const plan = badPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle } = await start(h, plan);
    await waitFor(
      async () =>
        (await handle.query(statusQuery)).stages.some((s) => s.kind === 'deploy' && s.details.infraCommit) || undefined,
    );
    h.world.faults.fail(
      'infra.setImage',
      () => Object.assign(new Error('403 Forbidden: token lacks write_repository'), { name: 'PermanentInfraError' }),
      1,
    );
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toMatch(/ROLLBACK FAILED/);
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rollback_failed');
    expect(t.error).toMatch(/staging left at .*-bad \(infra commit [0-9a-f]{40}\)/);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe(plan.image.tag);
    expect(
      h.world.slack.notifications.some((n) => n.timeline.releaseId === plan.releaseId && n.kind === 'rollback_failed'),
    ).toBe(true);
  });
});
