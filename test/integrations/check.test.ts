// `runway check` against the fakes, through the same HTTP clients it uses on real systems: a good config
// passes, and a wrong token, a missing Argo CD app and a channel the bot is not in each fail with a fix.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { HttpFake as PlainHttpFake } from '../../fakes/http-fake.js';
import { parseConfig } from '../../config/load.js';
import type { RunwayConfig } from '../../config/schema.js';
import { FakeArgoCd } from '../../fakes/argocd.js';
import { FakeGitLab } from '../../fakes/gitlab.js';
import type { HttpFake } from '../../fakes/http-fake.js';
import { SlackFake } from '../../fakes/slack.js';
import { failed, formatText, runChecks, type CheckResult } from '../../platform/check/index.js';
import { checkPrometheus } from '../../platform/check/prometheus.js';
import { checkRegistries } from '../../platform/check/registry.js';
import { startDockerRegistry } from '../support/docker-registry.js';
import { startPrometheus } from '../support/prometheus.js';
import { createRegistryFake } from '../../sandbox/registry.js';

const GITLAB_TOKEN = 'glpat-check-token';
const READ_TOKEN = 'glpat-read-only';
const ARGO_TOKEN = 'argocd-check-token';
const SLACK_TOKEN = 'xoxb-check-token';
const PUBLIC_URL = 'https://runway.example.com';

let gitlab: FakeGitLab;
let argocd: FakeArgoCd;
let slack: SlackFake;
let registry: HttpFake;

beforeAll(async () => {
  gitlab = new FakeGitLab({ tokens: { [GITLAB_TOKEN]: 'write', [READ_TOKEN]: 'read' } });
  gitlab.addProject({ path: 'acme/payments' });
  gitlab.addProject({ path: 'acme/infra' });
  gitlab.addProjectHook('acme/payments', {
    url: `${PUBLIC_URL}/webhooks/gitlab`,
    mergeRequestsEvents: true,
    pipelineEvents: true,
  });
  await gitlab.listen();
  argocd = new FakeArgoCd({ token: ARGO_TOKEN });
  argocd.addApp('payments-staging');
  argocd.addApp('payments-production');
  await argocd.listen();
  slack = new SlackFake({
    tokens: [SLACK_TOKEN],
    channels: [
      { id: 'C0RELEASES', name: 'releases' },
      { id: 'C0PRIVATE', name: 'prod-approvals', botIsMember: false },
    ],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0GONE', name: 'bob', deleted: true },
    ],
  });
  await slack.listen();
  registry = createRegistryFake();
  await registry.listen();
});

afterAll(async () => {
  await Promise.all([gitlab?.close(), argocd?.close(), slack?.close(), registry?.close()]);
});

function config(edit: (yaml: string) => string = (y) => y): RunwayConfig {
  const yaml = `
gitlab: { url: ${gitlab.url}, token: ${GITLAB_TOKEN}, webhookSecret: s }
argocd: { driver: api, url: ${argocd.url}, token: ${ARGO_TOKEN} }
slack: { botToken: ${SLACK_TOKEN}, apiUrl: ${slack.apiUrl}, defaultChannel: '#releases' }
registries: [{ host: '${new URL(registry.url).host}', insecure: true }]
services:
  payments:
    gitlab: { project: acme/payments }
    image: { repository: '${new URL(registry.url).host}/acme/payments' }
    infra: { driver: gitlab, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: staging.yaml, kustomize: { image: payments } }
        argocd: { application: payments-staging }
      - name: production
        manifest: { file: production.yaml, kustomize: { image: payments } }
        argocd: { application: payments-production }
        approval: { channel: '#releases', approvers: [U0ALICE, admin] }
`;
  return parseConfig(edit(yaml), {});
}

const check = (c: RunwayConfig) => runChecks(c, { publicUrl: PUBLIC_URL, skipTemporal: true });
const find = (results: CheckResult[], text: string) => results.find((r) => r.check.includes(text));

describe('runway check', () => {
  it('passes a config whose every credential and target is right', async () => {
    const results = await check(config());
    expect(
      results.filter((r) => r.status === 'fail'),
      formatText(results),
    ).toEqual([]);
    expect(failed(results)).toBe(false);
    expect(find(results, 'token scopes')).toMatchObject({ status: 'ok', detail: 'api' });
    expect(find(results, 'payments: webhook')).toMatchObject({ status: 'ok', detail: `${PUBLIC_URL}/webhooks/gitlab` });
    expect(find(results, 'infra project acme/infra writable')?.status).toBe('ok');
    expect(find(results, 'application payments-production')).toMatchObject({
      status: 'ok',
      detail: 'project default, sync manual',
    });
    expect(find(results, 'account may sync payments-production')?.status).toBe('ok');
    expect(find(results, 'bot is in #releases')?.status).toBe('ok');
    expect(find(results, 'approver U0ALICE')).toMatchObject({ status: 'ok', detail: '@alice' });
    expect(find(results, 'approver admin')?.status).toBe('skip');
    // The registry is asked through the worker's own client, for the service's repository.
    expect(find(results, `${new URL(registry.url).host}/acme/payments readable`)?.status).toBe('ok');
    expect(formatText(results)).toMatch(/All \d+ checks passed/);
  });

  it('fails clearly on a wrong GitLab token, and says how to get a right one', async () => {
    const results = await check(config((y) => y.replace(`token: ${GITLAB_TOKEN}`, 'token: glpat-wrong')));
    expect(failed(results)).toBe(true);
    const token = find(results, 'token valid');
    expect(token).toMatchObject({ area: 'gitlab', status: 'fail' });
    expect(token!.detail).toContain('refused the token (401)');
    expect(token!.fix).toMatch(/api scope/);
    // The wrong token is never echoed back.
    expect(JSON.stringify(results)).not.toContain('glpat-wrong');
  });

  it('fails on a token without the api scope, and one that cannot write the infra project', async () => {
    const results = await check(config((y) => y.replace(`token: ${GITLAB_TOKEN}`, `token: ${READ_TOKEN}`)));
    expect(find(results, 'token scopes')).toMatchObject({ status: 'fail', detail: 'has read_api, needs api' });
    expect(find(results, 'infra project acme/infra writable')?.status).toBe('fail');
    expect(find(results, 'payments: webhook')?.status).toBe('warn');
  });

  it('fails on a missing Argo CD application and on an account that may not sync', async () => {
    argocd.denied.add('applications/sync/default/payments-staging');
    try {
      const results = await check(
        config((y) => y.replace('application: payments-production', 'application: payments-prod')),
      );
      const missing = find(results, 'application payments-prod');
      expect(missing).toMatchObject({ area: 'argocd', status: 'fail' });
      expect(missing!.detail).toMatch(/not found, or the account may not see it \(403/);
      expect(missing!.fix).toMatch(/argocd app list/);
      const sync = find(results, 'account may sync payments-staging');
      expect(sync).toMatchObject({ status: 'fail' });
      expect(sync!.fix).toContain('applications, sync, default/payments-staging');
    } finally {
      argocd.denied.clear();
    }
  });

  it('fails on a channel the bot is not in, an unknown channel and unknown or deactivated approvers', async () => {
    const results = await check(
      config((y) =>
        y
          .replace("approval: { channel: '#releases'", "approval: { channel: '#prod-approvals'")
          .replace('approvers: [U0ALICE, admin]', 'approvers: [U0ALICE, U0NOBODY, U0GONE]')
          .replace("defaultChannel: '#releases'", "defaultChannel: '#nowhere'"),
      ),
    );
    const notIn = find(results, 'bot is in #prod-approvals');
    expect(notIn).toMatchObject({
      area: 'slack',
      status: 'fail',
      detail: 'the bot is not a member of #prod-approvals',
    });
    expect(notIn!.fix).toContain('/invite');
    expect(find(results, 'bot is in #nowhere')?.status).toBe('fail');
    expect(find(results, 'approver U0NOBODY')).toMatchObject({ status: 'fail', detail: 'user_not_found' });
    expect(find(results, 'approver U0GONE')).toMatchObject({ status: 'fail', detail: 'deactivated' });
  });

  it('fails on a wrong Slack token and a webhook without pipeline events', async () => {
    gitlab.addProject({ path: 'acme/cart' });
    gitlab.addProjectHook('acme/cart', { url: `${PUBLIC_URL}/webhooks/gitlab`, mergeRequestsEvents: true });
    const results = await check(
      config((y) =>
        y
          .replace(`botToken: ${SLACK_TOKEN}`, 'botToken: xoxb-wrong')
          .replace('project: acme/payments', 'project: acme/cart'),
      ),
    );
    expect(find(results, 'bot token valid')).toMatchObject({ area: 'slack', status: 'fail', detail: 'invalid_auth' });
    expect(find(results, 'payments: webhook')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('lacks Pipeline events'),
    });
  });

  it('reports an unreachable Temporal with what to check', async () => {
    const results = await runChecks(config((y) => `temporal: { address: '127.0.0.1:1' }\n${y}`));
    expect(find(results, 'reachable at 127.0.0.1:1')).toMatchObject({ area: 'temporal', status: 'fail' });
  });
});

describe('npm run check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runway-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 with --json on a failing config, and 2 with every config problem on a broken one', async () => {
    const run = promisify(execFile);
    const cli = path.resolve('cli/check.ts');
    const tsx = path.resolve('node_modules/.bin/tsx');
    const file = path.join(dir, 'runway.yaml');
    await writeFile(
      file,
      `temporal: { address: '127.0.0.1:1' }\nslack: { botToken: xoxb-wrong, apiUrl: ${slack.apiUrl} }\nservices: {}\n`,
    );
    const failing = await run(tsx, [cli, '--json'], { env: { ...process.env, RUNWAY_CONFIG: file } }).catch(
      (err: { code: number; stdout: string }) => err,
    );
    expect((failing as { code?: number }).code).toBe(1);
    const report = JSON.parse(failing.stdout) as { ok: boolean; results: CheckResult[] };
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.area === 'slack')).toMatchObject({ status: 'fail', detail: 'invalid_auth' });

    await writeFile(file, 'services:\n  x:\n    gitlab: { projct: a/b }\n');
    const broken = await run(tsx, [cli], { env: { ...process.env, RUNWAY_CONFIG: file } }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect((broken as { code?: number }).code).toBe(2);
    expect(broken.stderr).toContain('has 5 problems:');
    expect(broken.stderr).toContain('services.x.gitlab.projct: unknown key; did you mean "project"?');
  }, 60_000);
});

describe('runway check: a real registry', () => {
  const registryConfig = (host: string, password: string): RunwayConfig =>
    parseConfig(
      `registries: [{ host: '${host}', username: ci, password: '${password}', insecure: true }]\nservices: {}\n`,
      {},
    );

  for (const kind of ['htpasswd', 'token'] as const) {
    it(`accepts the right credentials and fails on wrong ones (${kind} auth)`, async () => {
      const real = await startDockerRegistry({ kind, username: 'ci', password: 'right-password' });
      try {
        const ok = await checkRegistries(registryConfig(real.host, 'right-password'));
        expect(ok).toEqual([{ area: 'registry', check: `${real.host} accepts the credentials`, status: 'ok' }]);
        const wrong = await checkRegistries(registryConfig(real.host, 'wrong-password'));
        expect(wrong[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('registries[].username') });
        expect(JSON.stringify(wrong)).not.toContain('wrong-password');
      } finally {
        await real.stop();
      }
    }, 300_000);
  }
});

describe('runway check: Prometheus', () => {
  it('passes a real Prometheus and fails an address nothing listens on', async () => {
    const prometheus = await startPrometheus();
    try {
      const withUrl = (url: string) => parseConfig(`prometheus: { url: '${url}' }\nservices: {}\n`, {});
      expect(await checkPrometheus(withUrl(prometheus.url))).toEqual([
        { area: 'prometheus', check: `reachable at ${prometheus.url}`, status: 'ok' },
      ]);
      const down = await checkPrometheus(withUrl('http://127.0.0.1:1'));
      expect(down[0]).toMatchObject({ status: 'fail', detail: expect.stringContaining('did not answer') });
      expect(await checkPrometheus(parseConfig('services: {}\n', {}))).toMatchObject([{ status: 'skip' }]);
    } finally {
      await prometheus.stop();
    }
  }, 300_000);
});

describe('runway check: the kubernetes Argo CD driver', () => {
  it('finds each Application resource and asks Kubernetes whether Runway may get and patch them', async () => {
    const k8s = await import('@kubernetes/client-node');
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: argocd.url, skipTLSVerify: true }],
      users: [{ name: 'runway', token: ARGO_TOKEN }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'runway', namespace: 'argocd' }],
      currentContext: 'fake',
    });
    const kube = (edit: (y: string) => string = (y) => y) =>
      config((y) => edit(y.replace(/argocd: \{ driver: api[^}]*\}/, 'argocd: { driver: kubernetes }')));

    const good = await runChecks(kube(), { skipTemporal: true, publicUrl: PUBLIC_URL, kubeConfig });
    const argo = good.filter((r) => r.area === 'argocd');
    expect(argo.map((r) => [r.check, r.status])).toEqual([
      ['may get applications.argoproj.io in argocd', 'ok'],
      ['may patch applications.argoproj.io in argocd', 'ok'],
      ['payments/staging: application argocd/payments-staging', 'ok'],
      ['payments/production: application argocd/payments-production', 'ok'],
    ]);

    argocd.denied.add('kubernetes/patch/argocd/applications');
    try {
      const bad = await runChecks(
        kube((y) => y.replace('application: payments-production', 'application: payments-prod')),
        { skipTemporal: true, kubeConfig },
      );
      expect(find(bad, 'may patch')).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('argocd-rbac.yaml'),
      });
      const missing = find(bad, 'application argocd/payments-prod');
      expect(missing).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^HTTP 404/) });
    } finally {
      argocd.denied.clear();
    }
  });
});

describe('runway check: what the worker will use', () => {
  it('checks every named Argo CD instance, with no top-level url (the worker resolves argocd.instance)', async () => {
    const named = config((y) =>
      y
        .replace(
          /argocd: \{ driver: api[^}]*\}/,
          `argocd: { instances: { east: { url: ${argocd.url}, token: ${ARGO_TOKEN} } } }`,
        )
        .replaceAll('argocd: { application: payments-', 'argocd: { instance: east, application: payments-'),
    );
    const results = await check(named);
    expect(results.filter((r) => r.area === 'argocd' && r.status !== 'ok')).toEqual([]);
    expect(find(results, 'instance east: payments/production: application payments-production')?.status).toBe('ok');
    expect(find(results, 'instance east: payments/staging: account may sync payments-staging')?.status).toBe('ok');
  });

  it('fails, never skips, a config the worker refuses to start with: one line per problem with the fix', async () => {
    const results = await check(config((y) => y.replace(/^slack: .*$/m, '').replace(/^argocd: .*$/m, '')));
    expect(failed(results)).toBe(true);
    const refused = results.filter((r) => r.area === 'config');
    expect(refused.map((r) => r.check)).toEqual(['argocd', 'slack']);
    for (const line of refused) expect(line).toMatchObject({ status: 'fail', fix: expect.stringContaining('refuses') });
    expect(JSON.stringify(results)).not.toMatch(/simulated/);
    // Only what the worker can run without (Prometheus) may be skipped.
    expect(results.filter((r) => r.status === 'skip').map((r) => r.area)).toEqual(['prometheus']);
  });

  it('sends a registry token as the worker does (Bearer), and fails a wrong one', async () => {
    const tokenRegistry = new PlainHttpFake('token-registry');
    const guarded = (req: { headers: Record<string, string | string[] | undefined> }) =>
      req.headers.authorization === 'Bearer registry-token'
        ? { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] } }
        : {
            status: 401,
            body: { errors: [{ code: 'UNAUTHORIZED' }] },
            headers: { 'WWW-Authenticate': 'Basic realm="r"' },
          };
    tokenRegistry.route('GET', '/v2/', (req) =>
      guarded(req).status === 404 ? { status: 200, body: {} } : guarded(req),
    );
    for (const method of ['HEAD', 'GET'])
      tokenRegistry.route(method, '/v2/:name*/manifests/:reference', (req) => guarded(req));
    await tokenRegistry.listen();
    try {
      const host = new URL(tokenRegistry.url).host;
      const withToken = (token: string) =>
        parseConfig(
          `registries: [{ host: '${host}', token: ${token}, insecure: true }]\nservices:\n  payments:\n    gitlab: { project: acme/payments }\n    image: { repository: '${host}/acme/payments' }\n    infra: { driver: git, repository: /nowhere }\n    environments:\n      - name: staging\n        manifest: { file: s.yaml, kustomize: { image: p } }\n        argocd: { application: p }\n`,
          {},
        );
      const { checkRegistries } = await import('../../platform/check/registry.js');
      const ok = await checkRegistries(withToken('registry-token'));
      expect(ok).toEqual([
        expect.objectContaining({ check: `service payments: ${host}/acme/payments readable`, status: 'ok' }),
      ]);
      const wrong = await checkRegistries(withToken('wrong-token'));
      expect(wrong[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining(`registries[] for ${host}`) });
      expect(JSON.stringify(wrong)).not.toContain('wrong-token');
    } finally {
      await tokenRegistry.close();
    }
  });

  it("reads the git infra driver's branch and asks for a push with --dry-run; a wrong branch fails", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'runway-check-git-'));
    try {
      const remote = path.join(dir, 'infra.git');
      const git = (args: string[], cwd = dir) => execFileSync('git', args, { cwd, encoding: 'utf8' });
      git(['init', '--quiet', '--bare', '--initial-branch=main', remote]);
      const work = path.join(dir, 'work');
      git(['clone', '--quiet', remote, work]);
      await writeFile(path.join(work, 'staging.yaml'), 'images: []\n');
      git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '--allow-empty', '-m', 'init'], work);
      git(['add', '.'], work);
      git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'manifest'], work);
      git(['push', '--quiet', 'origin', 'HEAD:main'], work);
      const head = git(['rev-parse', 'HEAD'], work).trim();
      const gitConfig = (branch: string) =>
        config((y) =>
          y
            .replace(
              'infra: { driver: gitlab, repository: acme/infra }',
              `infra: { driver: git, repository: '${remote}', branch: ${branch} }`,
            )
            .replace(/^gitlab:/m, 'git: { cacheDir: ' + JSON.stringify(path.join(dir, 'cache')) + ' }\ngitlab:'),
        );
      const good = (await check(gitConfig('main'))).filter((r) => r.area === 'infra');
      expect(good).toEqual([
        { area: 'infra', check: `${remote}@main readable`, status: 'ok', detail: `head ${head.slice(0, 12)}` },
        { area: 'infra', check: `${remote}@main accepts a push (dry run)`, status: 'ok' },
      ]);
      expect(git(['rev-parse', 'main'], remote).trim()).toBe(head);
      const bad = (await check(gitConfig('nope'))).filter((r) => r.area === 'infra');
      expect(bad).toEqual([
        expect.objectContaining({
          check: `${remote}@nope readable`,
          status: 'fail',
          fix: expect.stringContaining('infra.repository and .branch'),
        }),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
