// The fake GitLab's repository ancestry endpoints (merge_base, compare) through the real gitbeaker client:
// the answers Runway's ordering and "contains the bump" checks are built on.
import { Gitlab } from '@gitbeaker/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';

const PROJECT = 'platform/infra';
let fake: FakeGitLab;
let api: InstanceType<typeof Gitlab>;

beforeEach(async () => {
  fake = new FakeGitLab();
  await fake.listen();
  fake.addProject({ path: PROJECT, files: { 'a.txt': 'a' } });
  api = new Gitlab({ host: fake.url, token: FAKE_GITLAB_TOKEN });
});
afterEach(() => fake.close());

describe('fake GitLab repository ancestry', () => {
  it('merge_base of an ancestor and a descendant is the ancestor', async () => {
    const one = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'one');
    const two = fake.pushCommit(PROJECT, 'main', { 'a.txt': '2' }, 'two');
    const base = await api.Repositories.mergeBase(PROJECT, [one.id, two.id]);
    expect(base.id).toBe(one.id);
    const reversed = await api.Repositories.mergeBase(PROJECT, [two.id, one.id]);
    expect(reversed.id).toBe(one.id);
  });

  it('refuses fewer than two refs and names unknown refs', async () => {
    const head = fake.project(PROJECT).branches.get('main')!;
    await expect(api.Repositories.mergeBase(PROJECT, [head])).rejects.toMatchObject({
      cause: { response: { status: 400 } },
    });
    await expect(api.Repositories.mergeBase(PROJECT, [head, 'f'.repeat(40)])).rejects.toThrow(/Could not find ref/);
  });

  it('compare lists the commits after the merge base, oldest first, and nothing backwards', async () => {
    const one = fake.pushCommit(PROJECT, 'main', { 'a.txt': '1' }, 'one');
    const two = fake.pushCommit(PROJECT, 'main', { 'a.txt': '2' }, 'two');
    const three = fake.pushCommit(PROJECT, 'main', { 'a.txt': '3' }, 'three');
    const forward = await api.Repositories.compare(PROJECT, one.id, three.id);
    expect((forward.commits as { id: string }[]).map((c) => c.id)).toEqual([two.id, three.id]);
    expect((forward.commit as { id: string }).id).toBe(three.id);
    expect(forward.compare_same_ref).toBe(false);
    const backward = await api.Repositories.compare(PROJECT, three.id, one.id);
    expect(backward.commits).toEqual([]);
    await expect(api.Repositories.compare(PROJECT, one.id, 'e'.repeat(40))).rejects.toMatchObject({
      cause: { response: { status: 404 } },
    });
  });
});
