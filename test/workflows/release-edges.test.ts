// Issue 9's workflow edges: an approval message, wherever it was posted, loses its buttons and says why when the
// release ends undecided; a manual rollback that fails ends rollback_failed and never re-deploys what it rolled
// away from.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReleaseMessage } from '../../integrations/slack-blocks.js';
import type { ReleaseNotification } from '../../activities/ports.js';
import { rollbackId } from '../../domain/ids.js';
import type { ReleasePlan } from '../../domain/types.js';
import { approveUpdate, statusQuery, supersedeSignal } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

const APPROVALS = '#prod-approvals';

async function atApproval(overrides: Parameters<typeof testPlan>[0] = {}) {
  const plan = testPlan(overrides);
  seedEnvironments(h.world, plan);
  h.world.registry.publish(plan.image);
  const { handle } = await start(h, plan);
  await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
  await waitFor(() => lastIn(plan, APPROVALS)); // the approval message exists
  return { plan, handle };
}

function lastIn(plan: ReleasePlan, channel: string): ReleaseNotification | undefined {
  return h.world.slack.notifications.findLast((n) => n.timeline.releaseId === plan.releaseId && n.channel === channel);
}

/** What the approval channel shows at the end: no buttons, and the reason. */
function approvalMessage(plan: ReleasePlan) {
  const n = lastIn(plan, APPROVALS)!;
  const { blocks } = buildReleaseMessage(n);
  return { n, blocks, text: JSON.stringify(blocks) };
}

describe('approval message when the release ends undecided', () => {
  it('expired: buttons gone, says the window expired', async () => {
    const base = testPlan();
    const envs = [
      base.environments[0]!,
      { ...base.environments[1]!, approval: { ...base.environments[1]!.approval!, timeoutMs: 600 } },
    ];
    const { plan, handle } = await atApproval({ ...base, environments: envs });
    expect((await handle.result()).status).toBe('expired');
    const { n, blocks, text } = approvalMessage(plan);
    expect(n.kind).toBe('ended');
    expect(n.messageRef).toBeDefined(); // an update of the message that had the buttons
    expect(n.updateOnly).toBe(true); // no extra thread reply in the approval channel
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(text).toContain('the approval window expired');
  });

  it('superseded: buttons gone, names the release that superseded it', async () => {
    const { plan, handle } = await atApproval();
    await handle.signal(supersedeSignal, { by: 'release/x/newer' });
    expect((await handle.result()).status).toBe('superseded');
    const { blocks, text } = approvalMessage(plan);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(text).toContain('superseded by');
    expect(text).toContain('release/x/newer');
  });

  it('cancelled: buttons gone, says it was cancelled', async () => {
    const { plan, handle } = await atApproval();
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    await waitFor(() => lastIn(plan, APPROVALS)?.timeline.status === 'cancelled');
    const { blocks, text } = approvalMessage(plan);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(text).toContain('the release was cancelled');
  });

  it('approved, then rolled back: the approval channel shows the ending too', async () => {
    const { plan, handle } = await atApproval();
    h.world.argocd.degradeWhen(`${plan.service}-production`, (image) => image.tag === plan.image.tag);
    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'bob' }] });
    await expect(handle.result()).rejects.toThrow();
    const { n, blocks } = approvalMessage(plan);
    expect(n.kind).toBe('rolled_back');
    expect(n.timeline.status).toBe('rolled_back');
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  });
});

describe('manual rollback workflow', () => {
  function rollbackPlan(tag: string): ReleasePlan {
    const base = testPlan();
    return {
      ...base,
      releaseId: rollbackId(base.service, 'staging', tag),
      image: { ...base.image, tag },
      environments: [base.environments[0]!],
      mergeRequest: undefined,
      pipeline: { timeoutMs: 0, pollIntervalMs: 200 },
    };
  }

  it('a rollback whose health check fails is rollback_failed and never re-deploys the version it left', async () => {
    const plan = rollbackPlan('v0-bad'); // the memory world degrades -bad tags
    seedEnvironments(h.world, plan, 'v2.0.0');
    h.world.registry.publish(plan.image);
    const handle = await h.client.workflow.start('rollbackWorkflow', {
      workflowId: plan.releaseId,
      taskQueue: h.taskQueue,
      args: [plan],
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toMatch(/ROLLBACK FAILED/);
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rollback_failed');
    expect(t.error).toContain('needs a human');
    // One commit: the rollback's own. No revert to v2.0.0.
    const commits = h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId));
    expect(commits.map((c) => c.image.tag)).toEqual(['v0-bad']);
    expect(t.stages.some((s) => s.kind === 'rollback')).toBe(false);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v0-bad');
    expect(
      h.world.slack.notifications.some((n) => n.timeline.releaseId === plan.releaseId && n.kind === 'rollback_failed'),
    ).toBe(true);
    const deployment = h.world.gitlab.deployments.find((d) => d.projectId === plan.project.id);
    expect(deployment?.history).toEqual(['running', 'failed']);
  });

  it('a rollback whose image is gone from the registry fails at once, changing nothing', async () => {
    const plan = rollbackPlan('v0-missing');
    seedEnvironments(h.world, plan, 'v2.0.0');
    const handle = await h.client.workflow.start('rollbackWorkflow', {
      workflowId: plan.releaseId,
      taskQueue: h.taskQueue,
      args: [plan],
    });
    await expect(handle.result()).rejects.toThrow();
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rollback_failed');
    expect(t.error).toContain('nothing was changed');
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v2.0.0');
  });
});
