// The GitLab infra-repo driver through the real gitbeaker client against the fake GitLab: image bumps as
// commits guarded by last_commit_id, recovery of a retried bump from its trailers, and contention.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitLabError, PermanentGitLabError } from '../../integrations/gitlab.js';
import { createGitLabInfraRepo } from '../../integrations/infra-gitlab.js';
import type { InfraRepoPort, SetImageRequest } from '../../activities/ports.js';
import { ManifestTargetError } from '../../domain/manifest/index.js';
import type { ImageRef, ManifestTarget } from '../../domain/types.js';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';

const INFRA = 'platform/infra';
const REPO = 'registry.example.com/acme/payments';
const STAGING = 'envs/staging/kustomization.yaml';
const PRODUCTION = 'envs/production/kustomization.yaml';

const kustomization = (tag: string, extra = '') => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ${REPO}
    newTag: "${tag}"
  - name: registry.example.com/acme/ledger
    newTag: "7.0.0"
${extra}`;

let fake: FakeGitLab;
let infra: InfraRepoPort;

beforeEach(async () => {
  fake = new FakeGitLab();
  await fake.listen();
  fake.addProject({ path: INFRA, files: { [STAGING]: kustomization('1.0.0'), [PRODUCTION]: kustomization('0.9.0') } });
  infra = createGitLabInfraRepo({
    url: fake.url,
    token: FAKE_GITLAB_TOKEN,
    authorName: 'Runway',
    authorEmail: 'runway@example.com',
  });
});

afterEach(async () => {
  await fake.close();
});

function request(
  file: string,
  tag: string,
  changeId = `release/payments/abc/${file}/bump`,
  name = REPO,
): SetImageRequest {
  const target: ManifestTarget = { kind: 'kustomize', file, name };
  const image: ImageRef = { repository: name, tag };
  return {
    location: { driver: 'gitlab', repository: INFRA, branch: 'main' },
    target,
    image,
    message: `Deploy ${tag}`,
    changeId,
  };
}

const commitPosts = () => fake.http.received('POST', /\/repository\/commits$/);

describe('setImage', () => {
  it('reads the manifest and commits the new image with Runway trailers', async () => {
    const before = fake.history(INFRA)[0]!;

    const result = await infra.setImage(request(STAGING, '1.1.0'));

    const [head, parent] = fake.history(INFRA);
    expect(result).toEqual({ changed: true, previous: { repository: REPO, tag: '1.0.0' }, commitSha: head!.id });
    expect(parent!.id).toBe(before.id);
    expect(head!.parentIds).toEqual([before.id]);
    expect(head!.changed).toEqual([STAGING]);
    expect(head!.message).toBe(
      `Deploy 1.1.0\n\nRunway-Change: release/payments/abc/${STAGING}/bump\nRunway-Previous-Image: ${REPO}:1.0.0`,
    );
    expect(head).toMatchObject({ authorName: 'Runway', authorEmail: 'runway@example.com' });
    expect(fake.fileAt(INFRA, STAGING)).toBe(kustomization('1.1.0'));
    expect(fake.fileAt(INFRA, PRODUCTION)).toBe(kustomization('0.9.0'));
    // One update action guarded by the last_commit_id the driver read.
    expect(JSON.parse(commitPosts()[0]!.body)).toMatchObject({
      branch: 'main',
      actions: [{ action: 'update', file_path: STAGING, last_commit_id: before.id }],
    });
  });

  it('a retry after a lost response finds its own commit and reports the image it replaced', async () => {
    const first = await infra.setImage(request(STAGING, '1.1.0'));
    fake.pushCommit(INFRA, 'main', { 'README.md': 'unrelated' });

    const retry = await infra.setImage(request(STAGING, '1.1.0'));

    expect(retry).toEqual({
      changed: false,
      previous: { repository: REPO, tag: '1.0.0' },
      commitSha: fake.history(INFRA)[0]!.id,
    });
    expect(retry.commitSha).not.toBe(first.commitSha);
    expect(commitPosts()).toHaveLength(1);
  });

  it('when someone else already set the image, reports it as both current and previous', async () => {
    const pushed = fake.pushCommit(INFRA, 'main', { [STAGING]: kustomization('1.1.0') });
    const result = await infra.setImage(request(STAGING, '1.1.0'));
    expect(result).toEqual({ changed: false, previous: { repository: REPO, tag: '1.1.0' }, commitSha: pushed.id });
    expect(commitPosts()).toHaveLength(0);
  });

  it('re-reads and retries when the file changed between its read and its write', async () => {
    fake.beforeNext({ method: 'POST', path: /\/repository\/commits$/ }, () => {
      fake.pushCommit(INFRA, 'main', { [STAGING]: kustomization('1.0.0', '# pinned by ops\n') }, 'ops: pin');
    });

    const result = await infra.setImage(request(STAGING, '1.1.0'));

    expect(result.changed).toBe(true);
    expect(commitPosts()).toHaveLength(2);
    expect(fake.http.received('GET', /\/repository\/files\//)).toHaveLength(2);
    expect(fake.history(INFRA).map((c) => c.title)).toEqual(['Deploy 1.1.0', 'ops: pin', 'Initial commit']);
    expect(fake.fileAt(INFRA, STAGING)).toBe(kustomization('1.1.0', '# pinned by ops\n'));
    expect(result.commitSha).toBe(fake.history(INFRA)[0]!.id);
  });

  it('gives up, retryably, when the file keeps changing', async () => {
    for (let i = 0; i < 5; i += 1) {
      fake.beforeNext({ method: 'POST', path: /\/repository\/commits$/ }, () => {
        fake.pushCommit(INFRA, 'main', { [STAGING]: kustomization('1.0.0', `# churn ${i}\n`) });
      });
    }
    const err = await infra.setImage(request(STAGING, '1.1.0')).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(GitLabError);
    expect(err).not.toBeInstanceOf(PermanentGitLabError);
    expect((err as Error).message).toContain('gave up after 5 attempts');
    expect(commitPosts()).toHaveLength(5);
  });

  it('two concurrent bumps of different files both land', async () => {
    const [staging, production] = await Promise.all([
      infra.setImage(request(STAGING, '1.1.0')),
      infra.setImage(request(PRODUCTION, '1.0.0')),
    ]);

    const history = fake.history(INFRA);
    expect(history).toHaveLength(3);
    expect(new Set([staging.commitSha, production.commitSha])).toEqual(new Set([history[0]!.id, history[1]!.id]));
    expect(fake.fileAt(INFRA, STAGING)).toBe(kustomization('1.1.0'));
    expect(fake.fileAt(INFRA, PRODUCTION)).toBe(kustomization('1.0.0'));
  });

  it('two concurrent bumps of the same file both land: the loser re-reads and retries', async () => {
    const ledger = 'registry.example.com/acme/ledger';
    await Promise.all([
      infra.setImage(request(STAGING, '1.1.0')),
      infra.setImage(request(STAGING, '7.1.0', 'release/ledger/def/staging/bump', ledger)),
    ]);

    expect(fake.history(INFRA)).toHaveLength(3);
    expect(commitPosts()).toHaveLength(3);
    expect(fake.fileAt(INFRA, STAGING)).toBe(kustomization('1.1.0').replace('"7.0.0"', '"7.1.0"'));
  });

  it('a missing file is permanent (404)', async () => {
    const err = await infra.setImage(request('envs/qa/kustomization.yaml', '1.1.0')).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(PermanentGitLabError);
    expect((err as Error).message).toContain('404 File Not Found');
    expect((err as Error).message).toContain('envs%2Fqa%2Fkustomization.yaml');
  });

  it('a target the manifest does not have surfaces as ManifestTargetError, unwrapped', async () => {
    const err = await infra
      .setImage(request(STAGING, '1.1.0', 'x', 'registry.example.com/acme/unknown'))
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ManifestTargetError);
    expect(commitPosts()).toHaveLength(0);
  });

  it('a 500 on the commit is retryable and leaves the branch alone', async () => {
    fake.serverError({ method: 'POST', path: /\/repository\/commits$/ });
    const err = await infra.setImage(request(STAGING, '1.1.0')).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(GitLabError);
    expect((err as GitLabError).status).toBe(500);
    expect(fake.history(INFRA)).toHaveLength(1);
    expect((await infra.setImage(request(STAGING, '1.1.0'))).changed).toBe(true);
  });
});

describe('isAncestor through the repository merge_base API', () => {
  const location = { driver: 'gitlab' as const, repository: INFRA, branch: 'main' };

  it('a later commit on the branch contains an earlier one, not the other way round', async () => {
    const bump = await infra.setImage(request(STAGING, '2.0.0'));
    const later = fake.pushCommit(INFRA, 'main', { [PRODUCTION]: kustomization('0.9.1') }, 'someone else');
    expect(await infra.isAncestor(location, bump.commitSha, later.id)).toBe(true);
    expect(await infra.isAncestor(location, later.id, bump.commitSha)).toBe(false);
    expect(await infra.isAncestor(location, bump.commitSha, bump.commitSha)).toBe(true);
    // GitLab answers 400 "Could not find ref" for an unknown commit: not an ancestor.
    expect(await infra.isAncestor(location, 'e'.repeat(40), later.id)).toBe(false);
    const asked = fake.http.received('GET', /repository\/merge_base$/);
    expect(asked.length).toBeGreaterThanOrEqual(3);
  });
});
