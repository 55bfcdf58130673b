// GitLabPort.relateCommits through the real gitbeaker client against the fake GitLab's merge_base endpoint:
// what the environment locks order releases by.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';
import { createGitLabClient } from '../../integrations/gitlab.js';
import type { GitLabPort } from '../../activities/ports.js';
import { isNewer } from '../../domain/ordering.js';

const PROJECT = 'acme/payments';
let fake: FakeGitLab;
let gitlab: GitLabPort;

beforeEach(async () => {
  fake = new FakeGitLab();
  await fake.listen();
  fake.addProject({ path: PROJECT, files: { 'a.txt': 'a' } });
  gitlab = createGitLabClient({ url: fake.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 });
});
afterEach(() => fake.close());

describe('GitLabPort.relateCommits', () => {
  it('says which of two commits of the branch contains the other', async () => {
    const one = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'one').id;
    const two = fake.pushCommit(PROJECT, 'main', { 'a.txt': '2' }, 'two').id;
    expect(await gitlab.relateCommits(PROJECT, one, two)).toEqual({ relation: 'ancestor' });
    expect(await gitlab.relateCommits(PROJECT, two, one)).toEqual({ relation: 'descendant' });
    expect(await gitlab.relateCommits(PROJECT, two, two)).toEqual({ relation: 'same' });
    const a = { releaseId: 'release/payments/one', sha: one, releaseStartedAt: 2 };
    const b = { releaseId: 'release/payments/two', sha: two, releaseStartedAt: 1 };
    // The later start does not make the older commit newer.
    expect(isNewer(b, a, await gitlab.relateCommits(PROJECT, two, one))).toBe(true);
    expect(isNewer(a, b, await gitlab.relateCommits(PROJECT, one, two))).toBe(false);
  });

  it('answers from its cache once asked (ancestry never changes), even while GitLab fails', async () => {
    const one = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'one').id;
    const two = fake.pushCommit(PROJECT, 'main', { 'a.txt': '2' }, 'two').id;
    expect(await gitlab.relateCommits(PROJECT, one, two)).toEqual({ relation: 'ancestor' });
    fake.serverError({ path: /merge_base/ }, 10, 503);
    expect(await gitlab.relateCommits(PROJECT, one, two)).toEqual({ relation: 'ancestor' });
    // A question never asked is not answered from thin air: the 503 surfaces (retryable).
    await expect(gitlab.relateCommits(PROJECT, two, one)).rejects.toMatchObject({ name: 'GitLabError' });
  });

  it('unrelated histories are "diverged", with the commit dates to order them by', async () => {
    const main = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'on main').id;
    const orphan = fake.pushCommit(PROJECT, 'rewritten', { 'b.txt': '1' }, 'after a force-push').id;
    const relation = await gitlab.relateCommits(PROJECT, main, orphan);
    expect(relation.relation).toBe('diverged');
    if (relation.relation !== 'diverged') return;
    expect(Date.parse(relation.aCommittedAt!)).not.toBeNaN();
    expect(Date.parse(relation.bCommittedAt!)).not.toBeNaN();
  });

  it('a commit GitLab does not know is "unknown" (not cached: it may be pushed later)', async () => {
    const head = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'one').id;
    const missing = 'f'.repeat(40);
    const relation = await gitlab.relateCommits(PROJECT, head, missing);
    expect(relation).toEqual({ relation: 'unknown', missing: [missing] });
  });
});
