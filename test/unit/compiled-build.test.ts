// Production runs compiled JavaScript (the Dockerfile, scripts/runway.sh, docker-compose.yml, deploy/): this builds
// what `npm run build` builds into a temporary /app laid out like the image (package.json, the production
// dependencies only, dist/) and runs `node dist/...` there, without tsx: the CLI answers, the worker refuses an
// incomplete config, the API answers its probes, and the compiled worker loads the bundle built beside it.
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Lockfile {
  packages: Record<string, { dev?: boolean; optional?: boolean }>;
}
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as Lockfile;

/** Top-level packages `npm ci --omit=dev` installs: every hoisted entry of the lockfile not marked dev. */
function productionPackages(): string[] {
  return Object.entries(lock.packages)
    .filter(([key]) => key.startsWith('node_modules/') && !key.slice(13).includes('node_modules/'))
    .filter(([, entry]) => entry.dev !== true)
    .map(([key]) => key.slice('node_modules/'.length));
}

const app = mkdtempSync(join(tmpdir(), 'runway-compiled-'));
const dist = join(app, 'dist');

/** The image's /app: package.json (type: module), production node_modules (linked from the repository's), dist/. */
async function buildApp(): Promise<void> {
  writeFileSync(join(app, 'package.json'), read('package.json'));
  for (const name of productionPackages()) {
    const source = join(root, 'node_modules', name);
    // Platform-specific optional packages of other platforms are in the lockfile but not installed.
    const installed = await run('test', ['-e', source]).then(
      () => true,
      () => false,
    );
    if (!installed) continue;
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(source, join(app, 'node_modules', name), 'dir');
  }
  // The two steps of `npm run build` (checked against package.json below), into this /app's dist/.
  await Promise.all([
    run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist],
      {
        cwd: root,
      },
    ),
    run(process.execPath, ['--import', 'tsx', 'scripts/bundle-workflows.ts', join(dist, 'workflow-bundle.js')], {
      cwd: root,
    }),
  ]);
}

/** `node <args>` in the built /app with nothing but PATH, HOME and `env`: no tsx loader, no NODE_OPTIONS. */
function node(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, args, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, LOG_LEVEL: 'silent', ...env },
    timeout: 30_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
}

function writeConfig(name: string, text: string): string {
  const file = join(app, name);
  writeFileSync(file, text);
  return file;
}

const incompleteService = `
services:
  payments:
    gitlab: { project: acme/payments }
    image: { repository: registry.example.com/acme/payments }
    infra: { driver: gitlab, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: apps/payments/staging.yaml, kustomize: { image: registry.example.com/acme/payments } }
        argocd: { application: payments-staging }
`;

beforeAll(buildApp, 240_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('npm run build', () => {
  it('compiles with tsconfig.build.json and bundles the workflows into dist/; tsx is for development only', () => {
    const steps = packageJson.scripts.build!.split('&&').map((s) => s.trim());
    expect(steps).toContain('tsc -p tsconfig.build.json');
    expect(steps).toContain('tsx scripts/bundle-workflows.ts dist/workflow-bundle.js');
    expect(packageJson.dependencies.tsx).toBeUndefined();
    expect(packageJson.devDependencies.tsx).toBeDefined();
    expect(lock.packages['node_modules/tsx']?.dev).toBe(true);
    expect(productionPackages()).not.toContain('tsx');
    expect(productionPackages()).not.toContain('typescript');
  });
});

describe('node dist/... in the image layout, without tsx', () => {
  it('runway check --help answers', async () => {
    const result = await node(['dist/cli/check.js', '--help']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: runway check [--json]') });
  });

  it('the worker refuses an incomplete runway.yaml at once, one line per problem, before connecting', async () => {
    // Nobody listens on 127.0.0.1:1: the refusal must come before any connection attempt.
    const config = writeConfig('incomplete.yaml', `temporal: { address: '127.0.0.1:1' }\n${incompleteService}`);
    const result = await node(['dist/worker/main.js'], { RUNWAY_CONFIG: config });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('  - '))).toEqual([
      expect.stringContaining('gitlab: required'),
      expect.stringContaining('argocd: required'),
      expect.stringContaining('slack: required'),
      expect.stringContaining('services.payments.infra.driver'),
    ]);
    expect(result.stderr).not.toMatch(/tsx|ERR_UNKNOWN_FILE_EXTENSION|Cannot find (module|package)/);
  });

  it('the API listens, answers /healthz, says not ready while Temporal is down, and stops on SIGTERM', async () => {
    const config = writeConfig(
      'api.yaml',
      `temporal: { address: '127.0.0.1:1' }\nserver: { host: 127.0.0.1, port: 0 }\nservices: {}\n`,
    );
    const child = spawn(process.execPath, ['dist/api/main.js'], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, RUNWAY_CONFIG: config, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline && child.exitCode === null) {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*runway api listening/.exec(output)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      expect(url, `the compiled API did not start:\n${output}`).toBeDefined();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(503);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('the compiled worker takes the workflow bundle built beside it, and that bundle replays a saved release', async () => {
    const script = writeConfig(
      'replay.mjs',
      [
        "import { readFileSync } from 'node:fs';",
        "import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';",
        "import { workflowSource } from './dist/worker/create-worker.js';",
        "Runtime.install({ logger: new DefaultLogger('WARN') });",
        'const source = workflowSource({});',
        'console.log(JSON.stringify(source));',
        "const history = JSON.parse(readFileSync(process.argv[2], 'utf8'));",
        "await Worker.runReplayHistory(source, history, 'release-succeeded');",
        "console.log('replayed');",
      ].join('\n'),
    );
    const result = await node([script, join(root, 'test/histories/release-succeeded.json')]);
    expect(result.stderr).toBe('');
    const [chosen, replayed] = result.stdout.trim().split('\n');
    expect(JSON.parse(chosen!)).toEqual({ workflowBundle: { codePath: join(dist, 'workflow-bundle.js') } });
    expect(replayed).toBe('replayed');
    expect(result.code).toBe(0);
  }, 60_000);

  it('without a bundle beside it, the compiled worker bundles the compiled workflows (dist/workflows/index.js)', async () => {
    const bundle = join(dist, 'workflow-bundle.js');
    renameSync(bundle, `${bundle}.aside`);
    try {
      const script = writeConfig(
        'source.mjs',
        "import { workflowSource } from './dist/worker/create-worker.js';\nconsole.log(JSON.stringify(workflowSource(process.env)));",
      );
      const result = await node([script]);
      const source = JSON.parse(result.stdout) as { workflowsPath?: string };
      expect(source).toEqual({ workflowsPath: join(dist, 'workflows/index.js') });
      expect(existsSync(source.workflowsPath!)).toBe(true);
      // RUNWAY_WORKFLOW_BUNDLE still wins.
      const explicit = await node([script], { RUNWAY_WORKFLOW_BUNDLE: '/elsewhere/bundle.js' });
      expect(JSON.parse(explicit.stdout)).toEqual({ workflowBundle: { codePath: '/elsewhere/bundle.js' } });
    } finally {
      renameSync(`${bundle}.aside`, bundle);
    }
  });
});
