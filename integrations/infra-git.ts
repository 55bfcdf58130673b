// The `git` infra driver: sets an image in a manifest of any git remote through the git CLI.
// One cached working copy per remote, always reset to the remote branch before an edit; every bump is one
// commit carrying Runway trailers, so a retried activity can find the commit it already pushed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatImageRef, ManifestTargetError, parseImageRef, readImage, setImage } from '../domain/manifest/index.js';
import type { ImageRef } from '../domain/types.js';
import type { InfraRepoPort, SetImageRequest, SetImageResult } from '../activities/ports.js';
import { scrubSecrets } from '../platform/scrub.js';

/** A problem a retry cannot fix (unknown repository or branch, no access, push refused by policy). */
export class PermanentInfraError extends Error {
  override name = 'PermanentInfraError';
}

export interface GitInfraOptions {
  /** Working copies live here, one directory per remote. */
  cacheDir: string;
  authorName?: string;
  authorEmail?: string;
  /** Commit message; `{message}`, `{file}`, `{image}`, `{previous}`, `{changeId}` and `{branch}` are filled in. */
  messageTemplate?: string;
  /** Attempts when another writer pushes first (default 5). */
  maxPushAttempts?: number;
  /** Per git command (default 120 s). */
  commandTimeoutMs?: number;
}

const CHANGE_TRAILER = 'Runway-Change';
const PREVIOUS_TRAILER = 'Runway-Previous-Image';

export function createGitInfraRepo(options: GitInfraOptions): InfraRepoPort {
  const settings = {
    author: [
      '-c',
      `user.name=${options.authorName ?? 'Runway'}`,
      '-c',
      `user.email=${options.authorEmail ?? 'runway@localhost'}`,
    ],
    template: options.messageTemplate ?? '{message}',
    attempts: Math.max(1, options.maxPushAttempts ?? 5),
    timeoutMs: options.commandTimeoutMs ?? 120_000,
  };
  return {
    async setImage(request) {
      const { repository, branch } = request.location;
      assertSingleLine(request.changeId, 'changeId');
      const dir = path.resolve(options.cacheDir, cacheName(repository));
      const git = (args: string[]) => runGit(args, dir, settings.timeoutMs);
      // Activities share this worker process: one operation at a time per working copy.
      return withLock(dir, async () => {
        await validateBranch(git, branch, dir);
        await ensureRepo(git, dir);
        for (let attempt = 1; ; attempt++) {
          await syncTo(git, repository, branch);
          const outcome = await applyOnce(git, dir, request, settings);
          if (outcome.kind === 'done') return outcome.result;
          if (attempt >= settings.attempts) {
            throw new Error(`push to ${redact(repository)} lost the race ${attempt} times: ${outcome.detail}`);
          }
          await sleep(25 * 2 ** attempt + Math.random() * 100);
        }
      });
    },

    // A throwaway bare copy: fetch the branch (the read), then push its own head back with --dry-run, which
    // asks the remote's receive-pack (authentication, push rights) and sends nothing.
    async checkAccess(location) {
      const dir = await mkdtemp(path.join(tmpdir(), 'runway-check-'));
      const git = (args: string[]) => runGit(args, dir, settings.timeoutMs);
      try {
        await validateBranch(git, location.branch, dir);
        await check(git, ['init', '--quiet', '--bare'], 'init');
        const ref = `refs/heads/${location.branch}`;
        await check(
          git,
          ['fetch', '--quiet', '--no-tags', '--depth=1', '--end-of-options', location.repository, `+${ref}:${ref}`],
          'fetch',
        );
        const head = (await check(git, ['rev-parse', '--verify', ref], 'rev-parse')).stdout.trim();
        const push = await git([
          'push',
          '--dry-run',
          '--quiet',
          '--end-of-options',
          location.repository,
          `${head}:${ref}`,
        ]);
        if (push.code === 0) return { head, push: { ok: true } };
        return {
          head,
          push: { ok: false, reason: redact(push.stderr.trim().split('\n').pop() ?? `exit ${push.code}`) },
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    // A shallow bare copy of its own (reads must not queue behind ancestry questions or bumps): fetch the
    // branch head, read the manifest there.
    async currentImage({ location, target, repository }) {
      const dir = path.resolve(options.cacheDir, `${cacheName(location.repository)}.head`);
      const git = (args: string[]) => runGit(args, dir, settings.timeoutMs);
      const file = path.posix.normalize(target.file);
      if (path.posix.isAbsolute(file) || file === '..' || file.startsWith('../')) {
        throw new ManifestTargetError(`${target.file}: manifest path must be relative and inside the repository`);
      }
      return withLock(dir, async () => {
        await validateBranch(git, location.branch, dir);
        await ensureBare(git, dir);
        const ref = `refs/remotes/origin/${location.branch}`;
        await check(
          git,
          [
            'fetch',
            '--quiet',
            '--no-tags',
            '--depth=1',
            '--end-of-options',
            location.repository,
            `+refs/heads/${location.branch}:${ref}`,
          ],
          'fetch',
        );
        const text = (await check(git, ['show', `${ref}:${file}`], 'read manifest')).stdout;
        return readImage(text, target, repository);
      });
    },

    async isAncestor(location, ancestor, descendant) {
      assertSha(ancestor);
      assertSha(descendant);
      // A bare copy of its own: the question must not wait behind bumps holding the working copy's lock.
      const dir = path.resolve(options.cacheDir, `${cacheName(location.repository)}.ancestry`);
      const git = (args: string[]) => runGit(args, dir, settings.timeoutMs);
      const ask = () => git(['merge-base', '--is-ancestor', ancestor, descendant]);
      return withLock(dir, async () => {
        await validateBranch(git, location.branch, dir);
        await ensureBare(git, dir);
        let answer = await ask();
        // 0: ancestor, 1: not; anything else (128): a commit this copy has not fetched yet.
        if (answer.code > 1) {
          const ref = `refs/remotes/origin/${location.branch}`;
          await check(
            git,
            [
              'fetch',
              '--quiet',
              '--no-tags',
              '--end-of-options',
              location.repository,
              `+refs/heads/${location.branch}:${ref}`,
            ],
            'fetch',
          );
          answer = await ask();
        }
        return answer.code === 0;
      });
    },
  };
}

/** The bare copy behind ancestry questions and manifest reads (a working copy there is replaced). */
async function ensureBare(git: Git, dir: string): Promise<void> {
  if ((await git(['rev-parse', '--is-bare-repository'])).stdout.trim() === 'true') return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await check(git, ['init', '--quiet', '--bare'], 'init');
}

/** Ancestry is asked about commit ids only: never let a revision become a git option or a ref expression. */
function assertSha(value: string): void {
  if (!/^[0-9a-f]{7,64}$/i.test(value)) throw new PermanentInfraError(`not a commit id: "${value.slice(0, 80)}"`);
}

type Git = (args: string[]) => Promise<GitResult>;
type Outcome = { kind: 'done'; result: SetImageResult } | { kind: 'raced'; detail: string };

/** One edit on a freshly reset working copy: commit and push, or report that someone pushed first. */
async function applyOnce(
  git: Git,
  dir: string,
  request: SetImageRequest,
  settings: { author: string[]; template: string },
): Promise<Outcome> {
  const { target, image, location, changeId } = request;
  const { full, relative } = await manifestPath(dir, target.file, location.branch);
  let edit;
  try {
    edit = setImage(await readFile(full, 'utf8'), target, image);
  } catch (error) {
    if (error instanceof TypeError) throw new PermanentInfraError(error.message);
    throw error;
  }
  if (!edit.changed) return { kind: 'done', result: await alreadyApplied(git, relative, changeId, edit.previous) };

  await writeFile(full, edit.text);
  await check(git, ['add', '--', relative], 'add');
  const message = commitMessage(settings.template, request, edit.previous);
  await check(
    git,
    [...settings.author, 'commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-m', message],
    'commit',
  );

  const push = await git([
    'push',
    '--porcelain',
    '--end-of-options',
    location.repository,
    `HEAD:refs/heads/${location.branch}`,
  ]);
  if (push.code === 0) {
    return { kind: 'done', result: { changed: true, previous: edit.previous, commitSha: await head(git) } };
  }
  const output = `${push.stdout}\n${push.stderr}`;
  // `[rejected]`: the branch moved before we pushed; a failed ref update: it moved while we pushed.
  if (/\[rejected\]|failed to update ref|cannot lock ref|incorrect old value|stale info/i.test(output)) {
    return { kind: 'raced', detail: lastLines(output) };
  }
  throw failure('push', push);
}

/**
 * The file already holds the image: either an earlier attempt of this change pushed it (its trailer says
 * what was there before) or it was already deployed. Either way the branch head contains it.
 */
async function alreadyApplied(
  git: Git,
  file: string,
  changeId: string,
  current: ImageRef | null,
): Promise<SetImageResult> {
  const log = await check(
    git,
    [
      'log',
      '-n',
      '50',
      '--fixed-strings',
      `--grep=${CHANGE_TRAILER}: ${changeId}`,
      '--format=%H%x00%B%x1e',
      'HEAD',
      '--',
      file,
    ],
    'log',
  );
  for (const entry of log.stdout.split('\x1e')) {
    const [sha, body = ''] = entry.trim().split('\x00');
    if (!sha || trailer(body, CHANGE_TRAILER) !== changeId) continue;
    return {
      changed: false,
      previous: previousFromTrailer(trailer(body, PREVIOUS_TRAILER)),
      commitSha: await head(git),
    };
  }
  return { changed: false, previous: current, commitSha: await head(git) };
}

function commitMessage(template: string, request: SetImageRequest, previous: ImageRef | null): string {
  const values: Record<string, string> = {
    message: request.message,
    file: request.target.file,
    image: formatImageRef(request.image),
    previous: previous ? formatImageRef(previous) : 'none',
    changeId: request.changeId,
    branch: request.location.branch,
  };
  const body = template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole).trim();
  const subject = body || `Set ${values.file} to ${values.image}`;
  return `${subject}\n\n${CHANGE_TRAILER}: ${request.changeId}\n${PREVIOUS_TRAILER}: ${values.previous}\n`;
}

/** The value of the last `key: value` line, which is the trailer this driver appended. */
function trailer(body: string, key: string): string | undefined {
  const prefix = `${key}: `;
  const line = body
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

function previousFromTrailer(value: string | undefined): ImageRef | null {
  if (!value || value === 'none') return null;
  try {
    return parseImageRef(value);
  } catch {
    return null;
  }
}

// --- working copy ---------------------------------------------------------------------------------

async function ensureRepo(git: Git, dir: string): Promise<void> {
  const exists = await stat(path.join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (exists && (await git(['rev-parse', '--git-dir'])).code === 0) return;
  // Missing or broken: start over; the remote is the source of truth.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await check(git, ['-c', 'init.defaultBranch=runway', 'init', '--quiet'], 'init');
}

/**
 * Fetch by URL instead of storing it as a remote, so credentials in the URL never land in .git/config;
 * then force the working copy to exactly the remote branch.
 */
async function syncTo(git: Git, repository: string, branch: string): Promise<void> {
  const ref = `refs/remotes/origin/${branch}`;
  await check(
    git,
    ['fetch', '--quiet', '--no-tags', '--end-of-options', repository, `+refs/heads/${branch}:${ref}`],
    'fetch',
  );
  await check(git, ['checkout', '--quiet', '--force', '-B', branch, ref], 'checkout');
  await check(git, ['clean', '-ffdxq'], 'clean');
}

async function validateBranch(git: Git, branch: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await git(['check-ref-format', `refs/heads/${branch}`])).code !== 0) {
    throw new PermanentInfraError(`invalid branch name "${branch}"`);
  }
}

/** The manifest's paths, refusing paths that leave the repository. */
async function manifestPath(dir: string, file: string, branch: string): Promise<{ full: string; relative: string }> {
  const normalized = path.posix.normalize(file);
  if (path.isAbsolute(file) || normalized.startsWith('../') || normalized === '..' || normalized.startsWith('.git/')) {
    throw new ManifestTargetError(`${file}: manifest path must be relative and inside the repository`);
  }
  const full = path.join(dir, normalized);
  const [root, real] = await Promise.all([realpath(dir), realpath(full).catch(() => null)]);
  if (real === null) throw new ManifestTargetError(`${file}: no such file on branch ${branch}`);
  if (!real.startsWith(root + path.sep)) throw new ManifestTargetError(`${file}: resolves outside the repository`);
  return { full, relative: normalized };
}

async function head(git: Git): Promise<string> {
  return (await check(git, ['rev-parse', 'HEAD'], 'rev-parse')).stdout.trim();
}

// --- git process ----------------------------------------------------------------------------------

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BASE_CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false'];

function runGit(args: string[], cwd: string, timeoutMs: number): Promise<GitResult> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...BASE_CONFIG, ...args],
      { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: git is missing, or the command timed out. Never echo the arguments (URL).
          const cause = error.killed ? `timed out after ${timeoutMs} ms` : String(error.code ?? error.signal);
          reject(new Error(`git ${subcommand(args)} failed: ${cause}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** The git subcommand in `args`, skipping `-c key=value` pairs. */
function subcommand(args: string[]): string {
  return args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '-c') ?? '';
}

async function check(git: Git, args: string[], operation: string): Promise<GitResult> {
  const result = await git(args);
  if (result.code !== 0) throw failure(operation, result);
  return result;
}

const PERMANENT = [
  /repository .*not found/i,
  /does not appear to be a git repository/i,
  /authentication failed/i,
  /could not read (username|password)/i,
  /terminal prompts disabled/i,
  /permission denied/i,
  /access denied/i,
  /returned error: 40[134]/i,
  /couldn't find remote ref/i,
  /host key verification failed/i,
  /not allowed to (push|force)/i,
  /protected branch/i,
  /hook declined/i,
];

/** A git failure as an error: permanent when the stderr says so, else retryable; credentials redacted. */
function failure(operation: string, result: GitResult): Error {
  const output = `${result.stderr}\n${result.stdout}`;
  const message = `git ${operation} failed (exit ${result.code}): ${lastLines(output)}`;
  return PERMANENT.some((pattern) => pattern.test(output)) ? new PermanentInfraError(message) : new Error(message);
}

function lastLines(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('hint:'));
  return redact(lines.slice(-4).join(' | '));
}

/** Hides the userinfo (`user:token@`) of every URL in `text`, and every other secret shape. */
export const redact = scrubSecrets;

/** Cache directory name: stable per remote (credentials excluded, so rotating a token reuses it). */
function cacheName(repository: string): string {
  const withoutUserinfo = repository.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i, '$1');
  const slug = (
    withoutUserinfo
      .replace(/\.git\/?$/, '')
      .split(/[/:]/)
      .pop() ?? 'repo'
  ).replace(/[^\w.-]/g, '_');
  return `${slug || 'repo'}-${createHash('sha256').update(withoutUserinfo).digest('hex').slice(0, 16)}`;
}

function assertSingleLine(value: string, what: string): void {
  if (!value || value.trim() !== value || /[\r\n]/.test(value)) {
    throw new PermanentInfraError(`${what} must be a non-empty single line without surrounding spaces`);
  }
}

// --- per-directory mutex ----------------------------------------------------------------------------

const chains = new Map<string, Promise<void>>();

/** Runs `task` after every earlier task for `key` has settled (a promise chain per key). */
function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return result;
}
