// The fake GitLab's `GET /projects/:id/repository/commits/:sha/merge_requests` through the real gitbeaker
// client, for merges made with FakeGitLab.mergeMergeRequest: as in GitLab's MergeRequest.by_related_commit_sha,
// the MR is found from its source commit, its merge commit and its squash commit; and the release notes port
// (what Runway reads) names it.
import { Gitlab } from '@gitbeaker/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';
import { createGitLabReleaseNotes } from '../../integrations/gitlab-release-notes.js';

const PROJECT = 'acme/payments';
let fake: FakeGitLab;
let api: InstanceType<typeof Gitlab>;

beforeEach(async () => {
  fake = new FakeGitLab();
  await fake.listen();
  fake.addProject({ path: PROJECT, files: { 'a.txt': 'a' } });
  api = new Gitlab({ host: fake.url, token: FAKE_GITLAB_TOKEN });
});
afterEach(() => fake.close());

const iids = (mrs: { iid: number }[]) => mrs.map((mr) => mr.iid);

describe('fake GitLab: merge requests of a commit, after a merge', () => {
  it('finds a merged MR from its merge commit and from its source commit, with the merge fields', async () => {
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'Add retries' });
    const mergeCommit = await api.Commits.show(PROJECT, mr.mergeCommitSha!);
    expect(mergeCommit.parent_ids).toEqual([fake.history(PROJECT)[1]!.id, mr.sha]);

    for (const sha of [mr.mergeCommitSha!, mr.sha]) {
      const found = await api.Commits.allMergeRequests(PROJECT, sha);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        iid: mr.iid,
        title: 'Add retries',
        state: 'merged',
        merge_commit_sha: mr.mergeCommitSha,
        squash_commit_sha: null,
        sha: mr.sha,
        source_branch: `feature-${mr.iid}`,
        target_branch: 'main',
        web_url: `${fake.url}/${PROJECT}/-/merge_requests/${mr.iid}`,
      });
      expect(found[0]!.merged_at).toBe(mr.mergedAt);
    }
  });

  it('finds a squashed MR from its squash commit (no merge commit)', async () => {
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'Squashed', squash: true });
    expect(mr.mergeCommitSha).toBeNull();
    const head = fake.history(PROJECT)[0]!;
    expect(head.id).toBe(mr.squashCommitSha);
    const found = await api.Commits.allMergeRequests(PROJECT, head.id);
    expect(found.map((m) => [m.iid, m.squash_commit_sha, m.merge_commit_sha])).toEqual([[mr.iid, head.id, null]]);
  });

  it('answers [] for a commit pushed without a merge request, and 404 for an unknown commit', async () => {
    fake.mergeMergeRequest(PROJECT, { title: 'Merged' });
    const pushed = fake.pushCommit(PROJECT, 'main', { 'a.txt': 'direct' }, 'direct push');
    expect(await api.Commits.allMergeRequests(PROJECT, pushed.id)).toEqual([]);
    await expect(api.Commits.allMergeRequests(PROJECT, 'f'.repeat(40))).rejects.toMatchObject({
      cause: { response: { status: 404 } },
    });
  });

  it('lists newest MR first when several hold the commit (IssuableFinder: id desc)', async () => {
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'First' });
    // A seeded MR (ids from 1000: newer) that holds the same source commit, e.g. a closed stacked MR.
    fake.addMergeRequest(PROJECT, 40, { title: 'Closed one', author: 'dev', commits: [mr.sha], state: 'closed' });
    const found = await api.Commits.allMergeRequests(PROJECT, mr.sha);
    expect(iids(found)).toEqual([40, mr.iid]);
  });

  it('the merged commit appears in git log of the target branch with its source commit', async () => {
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'Logged' });
    const log = await api.Commits.all(PROJECT, { refName: 'main' });
    expect(log.map((c) => c.id).slice(0, 2)).toEqual([mr.mergeCommitSha, mr.sha]);
    const firstParent = await api.Commits.all(PROJECT, { refName: 'main', firstParent: true });
    expect(firstParent.map((c) => c.id)).not.toContain(mr.sha);
  });

  it('release notes name the MR of each commit a merge brought', async () => {
    const before = fake.history(PROJECT)[0]!.id;
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'Named in notes' });
    const notes = createGitLabReleaseNotes({ url: fake.url, token: FAKE_GITLAB_TOKEN });
    const compared = await notes.compare(PROJECT, before, mr.mergeCommitSha!);
    expect(compared.commits.map((c) => c.id)).toEqual([mr.sha, mr.mergeCommitSha]);
    for (const commit of compared.commits) {
      expect(await notes.mergeRequestsOf(PROJECT, commit.id)).toEqual([
        {
          iid: mr.iid,
          title: 'Named in notes',
          author: 'dev',
          url: `${fake.url}/${PROJECT}/-/merge_requests/${mr.iid}`,
        },
      ]);
    }
  });

  it('release notes name the merged MR, not a newer closed or open one holding the same commit', async () => {
    const mr = fake.mergeMergeRequest(PROJECT, { title: 'The merged one' });
    fake.addMergeRequest(PROJECT, 40, { title: 'Closed one', author: 'dev', commits: [mr.sha], state: 'closed' });
    fake.addMergeRequest(PROJECT, 41, { title: 'Open one', author: 'dev', commits: [mr.sha], state: 'opened' });
    expect(iids(await api.Commits.allMergeRequests(PROJECT, mr.sha))).toEqual([41, 40, mr.iid]);
    const notes = createGitLabReleaseNotes({ url: fake.url, token: FAKE_GITLAB_TOKEN });
    expect((await notes.mergeRequestsOf(PROJECT, mr.sha)).map((m) => m.title)).toEqual(['The merged one']);
  });
});
