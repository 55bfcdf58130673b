// `make dev`'s shell side: where the Temporal CLI comes from (env var, the shared cache, PATH, never a rebuild
// when cached), the search attribute flags read without Node, the start banner and the pretty log lines.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devServerSearchAttributeFlags } from '../../domain/search-attributes.js';
import { prettyLine, wantsPrettyLogs } from '../../platform/pretty-log.js';
import { banner, firstCurl } from '../../scripts/dev-banner.js';

const run = promisify(execFile);
const ENSURE = path.resolve('scripts/ensure-temporal.sh');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'runway-dev-script-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in `temporal` that answers --version, as the real one does. */
async function fakeCli(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '#!/bin/sh\n[ "$1" = "--version" ] && echo "temporal version 1.5.1" && exit 0\nexit 3\n');
  await chmod(file, 0o755);
  return file;
}

async function ensure(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  // A PATH without any temporal or go, so only what the test sets up can be found.
  const { stdout, stderr } = await run('bash', [ENSURE], {
    env: { PATH: '/usr/bin:/bin', HOME: dir, RUNWAY_SKIP_GO_INSTALL: '1', RUNWAY_SKIP_TEMPORAL_DOWNLOAD: '1', ...env },
  });
  return { stdout: stdout.trim(), stderr };
}

describe('scripts/ensure-temporal.sh', () => {
  it('prefers $TEMPORAL_CLI, then the version-keyed cache outside the clone', async () => {
    const cache = path.join(dir, 'xdg');
    const cached = await fakeCli(path.join(cache, 'runway/temporal-v1.5.1/temporal'));
    const explicit = await fakeCli(path.join(dir, 'bin/my-temporal'));
    expect((await ensure({ XDG_CACHE_HOME: cache, TEMPORAL_CLI: explicit })).stdout).toBe(explicit);
    expect((await ensure({ XDG_CACHE_HOME: cache })).stdout).toBe(cached);
    // Without XDG_CACHE_HOME the cache is ~/.cache/runway.
    const home = await fakeCli(path.join(dir, '.cache/runway/temporal-v1.5.1/temporal'));
    expect((await ensure({})).stdout).toBe(home);
    await rm(path.join(dir, '.cache'), { recursive: true });
  });

  it('says so when $TEMPORAL_CLI is not a temporal binary, and falls back', async () => {
    const cache = path.join(dir, 'xdg');
    const { stdout, stderr } = await ensure({ XDG_CACHE_HOME: cache, TEMPORAL_CLI: '/nonexistent/temporal' });
    expect(stdout).toBe(path.join(cache, 'runway/temporal-v1.5.1/temporal'));
    expect(stderr).toContain('TEMPORAL_CLI=/nonexistent/temporal is not an executable temporal CLI');
  });

  it('ignores a broken cached file, and falls back to the SDK download with nothing else available', async () => {
    const cache = path.join(dir, 'broken');
    await mkdir(path.join(cache, 'runway/temporal-v1.5.1'), { recursive: true });
    await writeFile(path.join(cache, 'runway/temporal-v1.5.1/temporal'), 'half a binary');
    const { stdout, stderr } = await ensure({ XDG_CACHE_HOME: cache });
    expect(stdout).toBe('sdk-download');
    expect(stderr).toContain('the Temporal SDK downloads its dev server');
  });
});

describe('scripts/dev.sh', () => {
  it('derives the same search attribute flags as the TypeScript definition, without Node', async () => {
    const { stdout } = await run('bash', [
      '-c',
      'source <(sed -n "/^search_attribute_flags()/,/^}/p" scripts/dev.sh); search_attribute_flags',
    ]);
    expect(stdout.trim().split('\n')).toEqual(devServerSearchAttributeFlags());
  });
});

describe('the start banner', () => {
  it('lists where everything is and the first curl, with links that open', () => {
    const text = banner({
      api: 'http://localhost:8080',
      temporalUi: 'http://localhost:8233',
      sandbox: true,
      configPath: 'config/sandbox.yaml',
      services: ['hello'],
      readyAfterMs: 4_321,
      webhookSecret: 'sandbox-secret',
      gitlabUrl: 'http://127.0.0.1:8081',
    });
    expect(text).toContain('runway is up in 4.3 s, running the sandbox (services: hello)');
    for (const line of [
      'API          http://localhost:8080',
      'OpenAPI UI   http://localhost:8080/api/docs',
      'Temporal UI  http://localhost:8233',
      'Slack page   http://localhost:8080/sandbox/slack',
    ])
      expect(text).toContain(line);
    const curl = firstCurl('http://localhost:8080', 'sandbox-secret');
    expect(text).toContain(curl);
    const body = /-d '([^']+)'/s.exec(curl)![1]!;
    const payload = JSON.parse(body) as {
      project: { web_url: string };
      object_attributes: { url: string; merge_commit_sha: string };
    };
    expect(payload.project.web_url).toBe('http://127.0.0.1:8081/sandbox/hello');
    expect(payload.object_attributes.url).toBe('http://127.0.0.1:8081/sandbox/hello/-/merge_requests/1');
  });

  it('points a real config at npm run check instead of the sandbox', () => {
    const text = banner({
      api: 'http://localhost:8080',
      temporalUi: 'http://localhost:8233',
      sandbox: false,
      configPath: 'runway.yaml',
      services: ['payments'],
    });
    expect(text).toContain('running runway.yaml');
    expect(text).toContain('npm run check');
    expect(text).not.toContain('Slack page');
  });
});

describe('pretty logs', () => {
  it('turns a JSON line into one readable line, keeping the fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1, 12, 0, 5),
      pid: 1,
      hostname: 'h',
      name: 'runway',
      msg: 'slow sync',
      app: 'hello-staging',
      took: 1200,
    });
    const out = prettyLine(line, false);
    expect(out).toMatch(/^\d\d:\d\d:\d\d WARN {2}runway slow sync {2}app=hello-staging took=1200$/);
    expect(prettyLine('not json', false)).toBe('not json');
  });

  it('is used on a terminal unless LOG_FORMAT says otherwise', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({}, false)).toBe(false);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });
});
