import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

describe('release: happy path', () => {
  it('deploys staging automatically, waits for approval, then deploys production', async () => {
    const plan = testPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle, created } = await start(h, plan);
    expect(created).toBe(true);

    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
    const waiting = await handle.query(statusQuery);
    expect(waiting.stage).toBe('approval:production');
    expect(h.world.infra.imageAt(plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe(plan.image.tag);

    const decision = await handle.executeUpdate(approveUpdate, {
      args: [{ environment: 'production', approver: 'U0ALICE' }],
    });
    expect(decision.decision).toBe('approved');
    const result = await handle.result();

    expect(result.status).toBe('succeeded');
    const kinds = result.timeline.stages.map((s) => `${s.kind}${s.environment ? ':' + s.environment : ''}:${s.state}`);
    expect(kinds).toEqual([
      'image:skipped',
      'deploy:staging:succeeded',
      'approval:production:succeeded',
      'deploy:production:succeeded',
    ]);
    const approval = result.timeline.stages[2]!;
    expect(detailsOf(approval, 'approval')?.decidedBy).toBe('U0ALICE');
    expect(detailsOf(result.timeline.stages[1], 'deploy')?.previousImage).toBe(`${plan.image.repository}:v1.0.0`);

    // exactly one bump per environment, and Argo CD synced to exactly those commits
    const commits = h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId));
    expect(commits.map((c) => c.changeId)).toEqual([
      `${plan.releaseId}/staging/deploy`,
      `${plan.releaseId}/production/deploy`,
    ]);
    expect(h.world.argocd.syncs.filter((s) => s.application.startsWith(plan.service))).toEqual([
      { application: `${plan.service}-staging`, revision: commits[0]!.sha },
      { application: `${plan.service}-production`, revision: commits[1]!.sha },
    ]);
    const deployments = h.world.gitlab.deployments.filter((d) => d.projectId === plan.project.id);
    expect(deployments.map((d) => [d.environment, d.history.join('>')])).toEqual([
      ['staging', 'running>success'],
      ['production', 'running>success'],
    ]);
    // one MR note, one Slack release message updated in place (+ the approval message in its own channel)
    const notes = h.world.gitlab.notes.filter((n) => n.projectId === plan.project.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('succeeded');
    const releaseMessages = h.world.slack.messages.filter((m) => m.channel === '#releases');
    expect(releaseMessages.length).toBeGreaterThanOrEqual(1);
    const mine = h.world.slack.notifications.filter((n) => n.timeline.releaseId === plan.releaseId);
    // The approval message lives in its own channel: at the end it is updated in place (no thread reply), so it
    // no longer shows buttons.
    const closing = mine.filter((n) => n.updateOnly);
    expect(closing.map((n) => [n.kind, n.channel])).toEqual([['succeeded', plan.environments[1]!.approval!.channel]]);
    expect(mine.filter((n) => !n.updateOnly).map((n) => n.kind)).toEqual([
      'started',
      'deployed',
      'approval_requested',
      'approval_decided',
      'deployed',
      'succeeded',
    ]);
  });
});
