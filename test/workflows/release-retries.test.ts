import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../workflows/messages.js';
import { permanentError, transientError } from '../../fakes/memory-faults.js';
import { createHarness, seedEnvironments, start, testPlan, type Harness } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

const stagingOnly = (p: ReturnType<typeof testPlan>) => ({ ...p, environments: p.environments.slice(0, 1) });

describe('release: retries', () => {
  it('retries transient failures and still bumps exactly once, even when a reply is lost after the commit', async () => {
    const plan = stagingOnly(testPlan());
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const before = {
      registry: h.world.faults.count('registry.imageExists'),
      deploy: h.world.faults.count('gitlab.ensureDeployment'),
      sync: h.world.faults.count('argocd.sync'),
    };
    h.world.faults
      .fail('registry.imageExists', () => transientError('registry 502'), 2)
      .fail('gitlab.ensureDeployment', () => transientError('gitlab 503'), 1)
      .fail('infra.afterCommit', () => transientError('connection reset after push'), 1)
      .fail('argocd.sync', () => transientError('argocd 500'), 2)
      .fail('notifier.publish', () => transientError('slack 500'), 1);
    const { handle } = await start(h, plan);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(h.world.faults.count('registry.imageExists') - before.registry).toBe(3);
    expect(h.world.faults.count('gitlab.ensureDeployment') - before.deploy).toBe(2);
    expect(h.world.faults.count('argocd.sync') - before.sync).toBe(3);
    const commits = h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId));
    expect(commits).toHaveLength(1);
    // the retried bump still knows the image it replaced, so a rollback would work
    expect(detailsOf(result.timeline.stages[1], 'deploy')?.previousImage).toBe(`${plan.image.repository}:v1.0.0`);
    expect(h.world.gitlab.deployments.filter((d) => d.projectId === plan.project.id)).toHaveLength(1);
  });

  it('does not retry permanent failures (manifest field not found)', async () => {
    const plan = stagingOnly(testPlan());
    h.world.registry.publish(plan.image); // environments NOT seeded: the manifest has no such image field
    const before = h.world.faults.count('infra.setImage');
    const { handle } = await start(h, plan);
    await expect(handle.result()).rejects.toThrow();
    expect(h.world.faults.count('infra.setImage') - before).toBe(1);
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('failed');
    expect(t.error).toContain('no image target');
    expect(h.world.gitlab.deployments.find((d) => d.projectId === plan.project.id)?.status).toBe('failed');
  });

  it('a 401 from the registry is permanent too', async () => {
    const plan = stagingOnly(testPlan());
    const before = h.world.faults.count('registry.imageExists');
    h.world.faults.fail('registry.imageExists', () => permanentError('RegistryAuthError', 'registry answered 401'), 1);
    const { handle } = await start(h, plan);
    await expect(handle.result()).rejects.toThrow();
    expect(h.world.faults.count('registry.imageExists') - before).toBe(1);
  });

  it('a notification outage never fails the release: it becomes a warning', async () => {
    const plan = stagingOnly(testPlan());
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    h.world.faults.fail('notifier.publish', () => permanentError('PermanentSlackError', 'channel_not_found'), 3);
    const { handle } = await start(h, plan);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.warnings.some((w) => w.includes('channel_not_found'))).toBe(true);
  });
});
