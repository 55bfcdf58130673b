// `make dev` for the screenshot script, in a corner of its own: a Temporal dev server in memory on free ports,
// and scripts/dev-runway.ts (worker + API + sandbox) on free loopback ports with a fresh sandbox directory, so
// the pictures start from an empty Slack channel and a seeded infra repo, and a running `make dev` is untouched.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { freePort } from '../../platform/free-port.js';

export interface SandboxRun {
  api: string;
  argocd: string;
  gitlab: string;
  dataDir: string;
  /** The bare infra repository Runway commits to. */
  infraRepo: string;
  stop(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, '../..');

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Runway exited (${child.exitCode}) before ${url} answered`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

export async function startSandboxRun(log: (line: string) => void): Promise<SandboxRun> {
  // scripts/dev-runway.ts runs the sandbox only when there is no config (config/runtime.ts).
  if (existsSync(path.join(root, 'runway.yaml'))) throw new Error(`${root}/runway.yaml exists: the sandbox needs none`);
  const found = execFileSync('bash', [path.join(root, 'scripts/ensure-temporal.sh')], { encoding: 'utf8' }).trim();
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: found === 'sdk-download' ? { type: 'cached-download' } : { type: 'existing-path', path: found },
      ip: '127.0.0.1',
      searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
      extraArgs: ['--dynamic-config-value', 'limit.memoSize.warn=32768'],
    },
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'runway-shots-sandbox-'));
  const [api, gitlab, argocd, slack, registry] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  const apiUrl = `http://127.0.0.1:${api}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    RUNWAY_PORT: String(api),
    RUNWAY_PUBLIC_URL: apiUrl,
    RUNWAY_SANDBOX_DIR: dataDir,
    RUNWAY_SANDBOX_GITLAB_PORT: String(gitlab),
    RUNWAY_SANDBOX_ARGOCD_PORT: String(argocd),
    RUNWAY_SANDBOX_SLACK_PORT: String(slack),
    RUNWAY_SANDBOX_REGISTRY_PORT: String(registry),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  delete env.RUNWAY_CONFIG;
  log(`starting Runway's sandbox: API ${apiUrl}, Temporal ${temporal.address}, data ${dataDir}`);
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'scripts/dev-runway.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await temporal.teardown().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${apiUrl}/sandbox/slack/messages`, child, 180_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    api: apiUrl,
    argocd: `http://127.0.0.1:${argocd}`,
    gitlab: `http://127.0.0.1:${gitlab}`,
    dataDir,
    infraRepo: path.join(dataDir, 'infra.git'),
    stop,
  };
}
