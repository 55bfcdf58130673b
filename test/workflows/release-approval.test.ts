import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate, rejectUpdate, statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

async function atApproval(overrides: Parameters<typeof testPlan>[0] = {}) {
  const plan = testPlan(overrides);
  seedEnvironments(h.world, plan);
  h.world.registry.publish(plan.image);
  const { handle } = await start(h, plan);
  await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
  return { plan, handle };
}

describe('release: approval', () => {
  it('a rejection ends the release rejected, production untouched, decider recorded', async () => {
    const { plan, handle } = await atApproval();
    const decision = await handle.executeUpdate(rejectUpdate, {
      args: [{ environment: 'production', approver: 'bob' }],
    });
    expect(decision).toMatchObject({ decision: 'rejected', by: 'bob' });
    const result = await handle.result();
    expect(result.status).toBe('rejected');
    expect(result.timeline.stages.at(-1)).toMatchObject({
      kind: 'approval',
      state: 'failed',
      details: { decidedBy: 'bob' },
    });
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(h.world.gitlab.deployments.filter((d) => d.projectId === plan.project.id).map((d) => d.environment)).toEqual(
      ['staging'],
    );
  });

  it('no decision within the timeout ends the release expired with no production change', async () => {
    const base = testPlan();
    const envs = [
      base.environments[0]!,
      { ...base.environments[1]!, approval: { ...base.environments[1]!.approval!, timeoutMs: 800 } },
    ];
    const { plan, handle } = await atApproval({ ...base, environments: envs });
    const result = await handle.result();
    expect(result.status).toBe('expired');
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(h.world.infra.commits.filter((c) => c.changeId.startsWith(`${plan.releaseId}/production`))).toHaveLength(0);
  });

  it('the validator refuses an approver who is not on the list, and nothing reaches history', async () => {
    const { handle } = await atApproval();
    const refused = await handle
      .executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'mallory' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toContain('mallory is not allowed');
    const wrongEnv = await handle
      .executeUpdate(approveUpdate, { args: [{ environment: 'staging', approver: 'bob' }] })
      .catch((e: unknown) => e);
    expect(String((wrongEnv as WorkflowUpdateFailedError).cause?.message)).toContain(
      'waiting for approval of production',
    );

    const history = await handle.fetchHistory();
    const updateEvents = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updateEvents).toHaveLength(0);
    expect((await handle.query(statusQuery)).status).toBe('awaiting_approval');

    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U0ALICE' }] });
    expect((await handle.result()).status).toBe('succeeded');
  });

  it('an approval that is not awaited is refused', async () => {
    const plan = testPlan({ environments: testPlan().environments.slice(0, 1) });
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    h.world.argocd.setProgressMs(800);
    const { handle } = await start(h, plan);
    await waitFor(async () => (await handle.query(statusQuery)).stage === 'deploy:staging');
    await expect(
      handle.executeUpdate(approveUpdate, { args: [{ environment: 'staging', approver: 'bob' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    h.world.argocd.setProgressMs(30);
    expect((await handle.result()).status).toBe('succeeded');
  });
});
