// Release notes: the commits between the version running in an environment and the new one, with their
// merge requests, from the fake GitLab through the real gitbeaker client; in Slack, the approval request and
// the MR comment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabReleaseNotes } from '../../integrations/gitlab-release-notes.js';
import { FakeGitLab, FAKE_GITLAB_TOKEN } from '../../fakes/gitlab.js';
import { buildReleaseMessage } from '../../integrations/slack-blocks.js';
import type { ReleasePlan } from '../../domain/types.js';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { createHarness, start, testPlan, waitFor, type Harness } from '../support/harness.js';

let h: Harness;
let gitlab: FakeGitLab;
beforeAll(async () => {
  gitlab = new FakeGitLab();
  await gitlab.listen();
  h = await createHarness({
    deps: { releaseNotes: createGitLabReleaseNotes({ url: gitlab.url, token: FAKE_GITLAB_TOKEN }) },
  });
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
  await gitlab?.close();
});

/** A project whose main has `mrs` merged MRs (two commits each) and one lone commit after `base`. */
function history(service: string, mrs: number) {
  const project = `acme/${service}`;
  gitlab.addProject({ path: project });
  const base = gitlab.pushCommit(project, 'main', { 'v.txt': 'base' }, 'Base');
  for (let i = 1; i <= mrs; i++) {
    const a = gitlab.pushCommit(project, 'main', { [`f${i}.txt`]: 'a' }, `Work on feature ${i}`);
    const b = gitlab.pushCommit(project, 'main', { [`f${i}.txt`]: 'b' }, `Finish feature ${i}`);
    gitlab.addMergeRequest(project, i, { title: `Feature ${i}`, author: `dev${i}`, commits: [a.id, b.id] });
  }
  const head = gitlab.pushCommit(project, 'main', { 'README.md': 'typo' }, 'Fix a typo');
  return { base, head };
}

function plan(service: string, head: string, base: string): ReleasePlan {
  const p = testPlan({ service, sha: head });
  for (const env of p.environments) h.world.infra.seed(env.target, { repository: p.image.repository, tag: base });
  h.world.registry.publish(p.image);
  return p;
}

describe('release notes', () => {
  it('lists three merge requests and a lone commit, in Slack, the approval request and the MR comment', async () => {
    const service = `svc-notes${Date.now().toString(36)}`;
    const { base, head } = history(service, 3);
    const p = plan(service, head.id, base.id);
    const { handle } = await start(h, p);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval' || undefined);
    const t = await handle.query(statusQuery);
    const staging = t.notes!.find((n) => n.environment === 'staging')!;
    expect(staging.commitCount).toBe(7);
    expect(staging.more).toBe(0);
    expect(staging.changes.map((c) => [c.ref, c.title, c.author])).toEqual([
      ['!3', 'Feature 3', 'dev3'],
      ['!2', 'Feature 2', 'dev2'],
      ['!1', 'Feature 1', 'dev1'],
      [head.id.slice(0, 8), 'Fix a typo', 'Someone Else'],
    ]);
    expect(staging.changes[0]!.url).toBe(`${gitlab.url}/acme/${service}/-/merge_requests/3`);
    expect(staging.compareUrl).toContain(`/-/compare/${base.id}...${head.id}`);
    expect(staging.commitDates).toHaveLength(7);

    // The status says "awaiting approval" as the request goes out: wait for the message itself.
    const approval = await waitFor(() =>
      h.world.slack.notifications.find((n) => n.timeline.releaseId === p.releaseId && n.kind === 'approval_requested'),
    );
    const text = JSON.stringify(buildReleaseMessage(approval).blocks);
    expect(text).toContain('What this brings to production');
    expect(text).toContain('Feature 2');
    const first = h.world.slack.notifications.find(
      (n) => n.timeline.releaseId === p.releaseId && n.kind === 'started',
    )!;
    expect(first.timeline.notes).toHaveLength(2);

    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'bob' }] });
    expect((await handle.result()).status).toBe('succeeded');
    const note = h.world.gitlab.notes.find((n) => n.projectId === p.project.id)!;
    expect(note.body).toContain('**What this brings to staging** (7 commits):');
    expect(note.body).toContain(`- [!1](${gitlab.url}/acme/${service}/-/merge_requests/1) Feature 1 (dev1)`);
  });

  it('caps the list with "+N more" linking the compare view', async () => {
    const service = `svc-many${Date.now().toString(36)}`;
    const { base, head } = history(service, 12);
    const p = plan(service, head.id, base.id);
    const { handle } = await start(h, p);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval' || undefined);
    const staging = (await handle.query(statusQuery)).notes!.find((n) => n.environment === 'staging')!;
    expect(staging.commitCount).toBe(25);
    expect(staging.changes).toHaveLength(10);
    expect(staging.more).toBe(3);
    const started = h.world.slack.notifications.find(
      (n) => n.timeline.releaseId === p.releaseId && n.kind === 'started',
    )!;
    const text = JSON.stringify(buildReleaseMessage(started).blocks);
    expect(text).toMatch(/compare\/[0-9a-f]{40}...[0-9a-f]{40}\|\+3 more>/);
    await handle.cancel();
  });
});
