// The git infra driver against a real local bare repository.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitInfraRepo, redact } from '../../integrations/infra-git.js';
import { releaseNotes } from '../../activities/release-notes.js';
import type { InfraRepoPort, SetImageRequest } from '../../activities/ports.js';
import type { ImageRef, ManifestTarget } from '../../domain/types.js';

const run = promisify(execFile);

const KUSTOMIZATION = `# prod overlay
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
images:
# payments, bumped by Runway
- name: registry.example.com/payments
  newTag: "1.0.0" # current release
`;
const VALUES = `# helm values
image:
  repository: registry.example.com/worker # where from
  tag: v1 # the tag
replicas: 2
`;
const DEPLOYMENT = `# the api
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: registry.example.com/api:1.0 # main container
`;
const kustomize: ManifestTarget = {
  kind: 'kustomize',
  file: 'envs/prod/kustomization.yaml',
  name: 'registry.example.com/payments',
};
const helm: ManifestTarget = {
  kind: 'helm',
  file: 'envs/prod/values.yaml',
  tagPath: 'image.tag',
  repositoryPath: 'image.repository',
};
const container: ManifestTarget = { kind: 'container', file: 'envs/prod/deployment.yaml', container: 'api' };

let root: string;
let remote: string;
let seed: string;

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd });
  return stdout;
}

const show = (file: string, rev = 'main') => git(remote, 'show', `${rev}:${file}`);
const commitCount = async () => Number((await git(remote, 'rev-list', '--count', 'main')).trim());
const remoteHead = async () => (await git(remote, 'rev-parse', 'main')).trim();

function driver(cache = 'cache-a', extra: Partial<Parameters<typeof createGitInfraRepo>[0]> = {}): InfraRepoPort {
  return createGitInfraRepo({ cacheDir: path.join(root, cache), ...extra });
}

function request(target: ManifestTarget, image: ImageRef, changeId: string): SetImageRequest {
  return {
    location: { driver: 'git', repository: remote, branch: 'main' },
    target,
    image,
    message: `Deploy ${image.tag} to prod`,
    changeId,
  };
}

/** Another engineer's clone with one commit on top of the current remote branch, not yet pushed. */
async function preparedClone(file: string, append: string): Promise<string> {
  const other = path.join(root, `other-${Math.random().toString(36).slice(2)}`);
  await git(root, 'clone', '--quiet', remote, other);
  await writeFile(path.join(other, file), (await readFile(path.join(other, file), 'utf8')) + append);
  await git(other, 'commit', '--quiet', '-am', 'manual change');
  return other;
}

/** A hook in the driver's cached clone that pushes `other` once, at the worst moment. */
async function installRacingHook(cacheDir: string, hook: string, other: string): Promise<void> {
  const [clone] = await readdir(path.join(root, cacheDir));
  const marker = path.join(root, `${hook}.ran`);
  const script = [
    '#!/bin/sh',
    `[ -e '${marker}' ] && exit 0`,
    `touch '${marker}'`,
    'unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_OBJECT_DIRECTORY',
    `cd '${other}' && git push --quiet origin HEAD:main`,
    '',
  ].join('\n');
  const file = path.join(root, cacheDir, clone!, '.git', 'hooks', hook);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, script);
  await chmod(file, 0o755);
}

beforeAll(async () => {
  // Independent of the machine's git configuration.
  const globalConfig = path.join(await mkdtemp(path.join(tmpdir(), 'runway-gitconfig-')), 'config');
  await writeFile(globalConfig, '');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.GIT_CONFIG_GLOBAL = globalConfig;
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'runway-infra-git-'));
  remote = path.join(root, 'infra.git');
  seed = path.join(root, 'seed');
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  await git(root, 'clone', '--quiet', remote, seed);
  await mkdir(path.join(seed, 'envs/prod'), { recursive: true });
  await writeFile(path.join(seed, kustomize.file), KUSTOMIZATION);
  await writeFile(path.join(seed, helm.file), VALUES);
  await writeFile(path.join(seed, container.file), DEPLOYMENT);
  await git(seed, 'add', '.');
  await git(seed, 'commit', '--quiet', '-m', 'seed');
  await git(seed, 'push', '--quiet', 'origin', 'HEAD:main');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('git infra driver', () => {
  it('bumps exactly one line, keeps comments, and pushes one commit', async () => {
    const result = await driver().setImage(
      request(kustomize, { repository: 'registry.example.com/payments', tag: '1.10' }, 'rel-1/prod/bump'),
    );
    expect(result).toEqual({
      changed: true,
      previous: { repository: 'registry.example.com/payments', tag: '1.0.0' },
      commitSha: await remoteHead(),
    });
    expect(await show(kustomize.file)).toBe(KUSTOMIZATION.replace('newTag: "1.0.0"', 'newTag: "1.10"'));
    expect(await commitCount()).toBe(2);
    expect(await git(remote, 'show', '--format=', '--numstat', 'main')).toBe('1\t1\tenvs/prod/kustomization.yaml\n');
  });

  it('writes one commit per bump with Runway trailers, author and templated message', async () => {
    const infra = driver('cache-a', { messageTemplate: '{message} ({file}: {previous} -> {image})' });
    await infra.setImage(
      request(kustomize, { repository: 'registry.example.com/payments', tag: '1.1.0' }, 'rel-2/prod/bump'),
    );
    await infra.setImage(request(helm, { repository: 'registry.example.com/worker', tag: 'v2' }, 'rel-3/prod/bump'));
    const last = await infra.setImage(
      request(
        container,
        { repository: 'registry.example.com/api', tag: '1.1', digest: 'sha256:abcdef' },
        'rel-4/prod/bump',
      ),
    );

    expect(await commitCount()).toBe(4);
    const format =
      '%an <%ae>%x1f%(trailers:key=Runway-Change,valueonly)%x1f%(trailers:key=Runway-Previous-Image,valueonly)%x1f%s';
    const commits = (await git(remote, 'log', '-3', `--format=${format}%x1e`, 'main'))
      .split('\x1e')
      .filter((entry) => entry.trim())
      .map((entry) => entry.split('\x1f').map((part) => part.trim()));
    expect(commits).toEqual([
      [
        'Runway <runway@localhost>',
        'rel-4/prod/bump',
        'registry.example.com/api:1.0',
        'Deploy 1.1 to prod (envs/prod/deployment.yaml: registry.example.com/api:1.0 -> registry.example.com/api:1.1@sha256:abcdef)',
      ],
      [
        'Runway <runway@localhost>',
        'rel-3/prod/bump',
        'registry.example.com/worker:v1',
        'Deploy v2 to prod (envs/prod/values.yaml: registry.example.com/worker:v1 -> registry.example.com/worker:v2)',
      ],
      [
        'Runway <runway@localhost>',
        'rel-2/prod/bump',
        'registry.example.com/payments:1.0.0',
        'Deploy 1.1.0 to prod (envs/prod/kustomization.yaml: registry.example.com/payments:1.0.0 -> registry.example.com/payments:1.1.0)',
      ],
    ]);
    expect(last.commitSha).toBe(await remoteHead());
    expect(await show(helm.file)).toBe(VALUES.replace('tag: v1 #', 'tag: v2 #'));
    expect(await show(container.file)).toBe(DEPLOYMENT.replace('api:1.0 #', 'api:1.1@sha256:abcdef #'));
  });

  it('answers a retry with the same commit and previous image, from any worker', async () => {
    const bump = request(kustomize, { repository: 'registry.example.com/payments', tag: '2.0.0' }, 'rel-5/prod/bump');
    const first = await driver().setImage(bump);
    const retry = await driver().setImage(bump);
    expect(retry).toEqual({ changed: false, previous: first.previous, commitSha: first.commitSha });

    // Another change lands later: a retry (here from a fresh worker cache) reports the newer head that contains ours.
    await driver().setImage(request(helm, { repository: 'registry.example.com/worker', tag: 'v9' }, 'rel-6/prod/bump'));
    const late = await driver('cache-b').setImage(bump);
    expect(late).toEqual({ changed: false, previous: first.previous, commitSha: await remoteHead() });
    expect(await commitCount()).toBe(3);

    // A different change that finds the image already there did not make it: previous is the current image.
    const other = await driver().setImage({ ...bump, changeId: 'rel-7/prod/bump' });
    expect(other).toEqual({ changed: false, previous: bump.image, commitSha: await remoteHead() });
  });

  it.each([
    ['post-commit', 'the branch moved before the push'],
    ['pre-push', 'the branch moved during the push'],
  ])('re-applies the edit when another clone pushes first (%s: %s)', async (hook) => {
    const infra = driver();
    // Warm the cache (no commit: already at this image) so the hook can be installed in it.
    await infra.setImage(request(helm, { repository: 'registry.example.com/worker', tag: 'v1' }, 'warm-up'));
    const other = await preparedClone(kustomize.file, '# added by hand\n');
    await installRacingHook('cache-a', hook, other);

    const result = await infra.setImage(
      request(kustomize, { repository: 'registry.example.com/payments', tag: '3.0.0' }, 'rel-8/prod/bump'),
    );
    expect(await readdir(root)).toContain(`${hook}.ran`);
    expect(result.changed).toBe(true);
    expect(result.commitSha).toBe(await remoteHead());
    expect(await show(kustomize.file)).toBe(
      KUSTOMIZATION.replace('newTag: "1.0.0"', 'newTag: "3.0.0"') + '# added by hand\n',
    );
    expect(await git(remote, 'log', '--format=%s', 'main')).toBe('Deploy 3.0.0 to prod\nmanual change\nseed\n');
  });

  it('lands concurrent bumps from two workers on eight files with no lost update', async () => {
    const files = Array.from({ length: 8 }, (_, i) => `apps/svc-${i}/deployment.yaml`);
    for (const file of files) {
      await mkdir(path.join(seed, path.dirname(file)), { recursive: true });
      await writeFile(path.join(seed, file), DEPLOYMENT);
    }
    await git(seed, 'add', '.');
    await git(seed, 'commit', '--quiet', '-m', 'more services');
    await git(seed, 'push', '--quiet', 'origin', 'HEAD:main');

    const workers = [driver('worker-1'), driver('worker-2')];
    const results = await Promise.all(
      files.map((file, i) =>
        workers[i % 2]!.setImage(
          request(
            { ...container, file },
            { repository: 'registry.example.com/api', tag: `2.${i}` },
            `rel-${i}/prod/bump`,
          ),
        ),
      ),
    );

    expect(results.every((r) => r.changed)).toBe(true);
    expect(await commitCount()).toBe(2 + files.length);
    for (const [i, file] of files.entries()) {
      expect(await show(file)).toBe(DEPLOYMENT.replace('api:1.0 #', `api:2.${i} #`));
      // Each reported commit is on the branch and already contains its own change.
      await git(remote, 'merge-base', '--is-ancestor', results[i]!.commitSha, 'main');
      expect(await show(file, results[i]!.commitSha)).toContain(`api:2.${i} #`);
    }
  });

  it('serializes operations on one cached clone within a process', async () => {
    const infra = driver();
    const tags = ['a1', 'a2', 'a3', 'a4'];
    const results = await Promise.all(
      tags.map((tag) =>
        infra.setImage(request(helm, { repository: 'registry.example.com/worker', tag }, `rel-${tag}`)),
      ),
    );
    // Run in call order: each saw the one before it, so no push was ever rejected.
    expect(results.map((r) => r.previous?.tag)).toEqual(['v1', 'a1', 'a2', 'a3']);
    expect(await commitCount()).toBe(5);
  });

  it('reports user errors as non-retryable by name', async () => {
    const infra = driver();
    const image = { repository: 'registry.example.com/payments', tag: '9' };
    await expect(infra.setImage(request({ ...kustomize, name: 'nope' }, image, 'x'))).rejects.toMatchObject({
      name: 'ManifestTargetError',
      message: expect.stringContaining('kustomize image "nope" not found'),
    });
    await expect(
      infra.setImage(request({ ...kustomize, file: 'envs/missing.yaml' }, image, 'x')),
    ).rejects.toMatchObject({
      name: 'ManifestTargetError',
    });
    await expect(infra.setImage(request({ ...kustomize, file: '../outside.yaml' }, image, 'x'))).rejects.toMatchObject({
      name: 'ManifestTargetError',
    });
    const wrongBranch = {
      ...request(kustomize, image, 'x'),
      location: { driver: 'git' as const, repository: remote, branch: 'nope' },
    };
    await expect(infra.setImage(wrongBranch)).rejects.toMatchObject({ name: 'PermanentInfraError' });
    const noRepo = {
      ...request(kustomize, image, 'x'),
      location: { driver: 'git' as const, repository: path.join(root, 'none.git'), branch: 'main' },
    };
    await expect(infra.setImage(noRepo)).rejects.toMatchObject({ name: 'PermanentInfraError' });
    expect(await commitCount()).toBe(1);
  });

  it('never reveals credentials from the remote URL', async () => {
    const location = {
      driver: 'git' as const,
      repository: 'https://deployer:s3cr3t-token@127.0.0.1:1/infra.git',
      branch: 'main',
    };
    const error: unknown = await driver()
      .setImage({ ...request(kustomize, { repository: 'r', tag: '1' }, 'x'), location })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('s3cr3t');
    expect(String((error as Error).stack)).not.toContain('s3cr3t');
    // Nor is the URL stored in the cached clone's configuration.
    const [clone] = await readdir(path.join(root, 'cache-a'));
    expect(await readFile(path.join(root, 'cache-a', clone!, '.git', 'config'), 'utf8')).not.toContain('s3cr3t');
    expect(redact('fatal: https://u:t@host/x and ssh://git@host/y')).toBe(
      'fatal: https://[redacted]@host/x and ssh://[redacted]@host/y',
    );
  });
});

describe('isAncestor: does a revision contain a commit?', () => {
  const location = () => ({ driver: 'git' as const, repository: remote, branch: 'main' });

  it('answers like git merge-base --is-ancestor, fetching commits pushed by others', async () => {
    const infra = driver();
    const bump = await infra.setImage(
      request(kustomize, { repository: 'registry.example.com/payments', tag: '2.0.0' }, 'a/1'),
    );
    // Someone else moves the branch on from another clone; this driver's copy has not seen that commit.
    const other = await preparedClone('envs/prod/values.yaml', '# later\n');
    await git(other, 'push', '--quiet', 'origin', 'HEAD:main');
    const later = await remoteHead();
    expect(await infra.isAncestor(location(), bump.commitSha, later)).toBe(true);
    expect(await infra.isAncestor(location(), bump.commitSha, bump.commitSha)).toBe(true);
    expect(await infra.isAncestor(location(), later, bump.commitSha)).toBe(false);
    // A commit the repository does not know contains nothing and is contained in nothing.
    expect(await infra.isAncestor(location(), 'f'.repeat(40), later)).toBe(false);
  });

  it('refuses anything but a commit id (no options, no ref expressions)', async () => {
    const err = await driver()
      .isAncestor(location(), '--help', 'main')
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('PermanentInfraError');
  });
});

describe('git infra driver: what runs now (release notes)', () => {
  it("reads the image at the branch head, including someone else's push since the last read", async () => {
    const infra = driver();
    const location = { driver: 'git' as const, repository: remote, branch: 'main' };
    const read = () => infra.currentImage({ location, target: kustomize, repository: 'registry.example.com/payments' });
    expect(await read()).toEqual({ repository: 'registry.example.com/payments', tag: '1.0.0' });
    await writeFile(path.join(seed, kustomize.file), KUSTOMIZATION.replace('"1.0.0"', '"1.2.0"'));
    await git(seed, 'commit', '--quiet', '-am', 'hand bump');
    await git(seed, 'push', '--quiet', 'origin', 'HEAD:main');
    expect(await read()).toEqual({ repository: 'registry.example.com/payments', tag: '1.2.0' });
    expect(await infra.currentImage({ location, target: helm, repository: 'registry.example.com/worker' })).toEqual({
      repository: 'registry.example.com/worker',
      tag: 'v1',
    });
    await expect(
      infra.currentImage({ location, target: { ...kustomize, file: '../etc/passwd' }, repository: 'x' }),
    ).rejects.toThrow(/inside the repository/);
  });

  it('gives release notes the running version, so GitLab\'s compare is asked (no more "unknown")', async () => {
    const infra = driver();
    const compared: [string, string][] = [];
    const notes = await releaseNotes(
      {
        infra: () => infra,
        notes: {
          async compare(_project, from, to) {
            compared.push([from, to]);
            return { commits: [{ id: to, title: 'Faster checkout', author: 'a', authoredAt: '2026-01-01T00:00:00Z' }] };
          },
          async mergeRequestsOf() {
            return [];
          },
        },
      },
      {
        projectId: 'acme/payments',
        sha: 'b'.repeat(40),
        imageRepository: 'registry.example.com/payments',
        imageTag: 'b'.repeat(40),
        environments: [
          { name: 'prod', location: { driver: 'git', repository: remote, branch: 'main' }, target: kustomize },
        ],
      },
    );
    expect(compared).toEqual([['1.0.0', 'b'.repeat(40)]]);
    expect(notes[0]).toMatchObject({ environment: 'prod', from: '1.0.0', commitCount: 1 });
    expect(notes[0]!.unavailable).toBeUndefined();
  });
});
