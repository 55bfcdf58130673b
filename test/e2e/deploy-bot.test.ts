// The deploy bot over its real doors: REST (deploy, freeze) and `/runway` commands, with a real worker, a fake
// GitLab that resolves tags, and releases on Temporal.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import type { ApiContext } from '../../api/context.js';
import { ReleaseService } from '../../api/release-service.js';
import { deployService } from '../../api/routes/deploy.js';
import { listen, type RunningServer } from '../../api/server.js';
import { runSubcommand } from '../../api/slack/subcommands.js';
import type { DeployCommandDeps } from '../../api/slack/deploy-commands.js';
import { parseConfig } from '../../config/load.js';
import { FakeGitLab, FAKE_GITLAB_TOKEN } from '../../fakes/gitlab.js';
import { createLogger } from '../../platform/logger.js';
import { seedMemoryInfra } from '../../fakes/memory-world.js';
import { e2eConfigYaml, TOKENS } from '../support/api-harness.js';
import { createHarness, waitFor, type Harness } from '../support/harness.js';

const HOTFIX_TOKEN = 'hotfix-token-1';
let h: Harness;
let gitlab: FakeGitLab;
let server: RunningServer;
let ctx: ApiContext;
const service = `svc-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  gitlab = new FakeGitLab();
  await gitlab.listen();
  gitlab.addProject({ path: `acme/${service}` });
  const yaml = e2eConfigYaml(service, h.taskQueue)
    .replace(
      /gitlab: \{ url: 'https:\/\/gitlab.example.com', token: unused,/,
      `gitlab: { url: '${gitlab.url}', token: ${FAKE_GITLAB_TOKEN},`,
    )
    .replace('retryInitialInterval: 50ms }', 'retryInitialInterval: 50ms, windowRecheck: 100ms }')
    .replace(
      '    - { name: U0ALICE,',
      `    - { name: bob, token: ${HOTFIX_TOKEN}, roles: [read, deploy, approve] }\n    - { name: U0ALICE,`,
    );
  const config = parseConfig(yaml, {});
  seedMemoryInfra(h.world, config);
  ctx = {
    config,
    client: h.client,
    releases: new ReleaseService(h.client, config),
    logger: createLogger('deploy-bot-test', 'silent'),
    publicUrl: 'http://runway.test',
  };
  server = await listen(createApp(ctx), { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await gitlab?.close();
  await h?.close();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const image = (tag: string) => ({ repository: `registry.example.com/acme/${service}`, tag });
const timeline = async (id: string) =>
  (await call('GET', `/api/releases/${encodeURIComponent(id)}`, TOKENS.reader)).body;
// The status is final before the run closes (its last messages go out after it): wait for both.
const settled = async (id: string) => {
  const t = await waitFor(async () => {
    const t = await timeline(id);
    return ['succeeded', 'failed', 'rolled_back', 'superseded'].includes(t.status) ? t : undefined;
  }, 30_000);
  await ctx.client.workflow
    .getHandle(id)
    .result()
    .catch(() => undefined);
  return t;
};

function slackDeps(): DeployCommandDeps {
  return {
    config: ctx.config,
    releases: ctx.releases,
    deploys: deployService(ctx),
    slack: { postEphemeral: async () => ({}), updateMessage: async () => ({ channel: '', ts: '' }) },
    logger: ctx.logger,
  };
}

describe('deploy bot', () => {
  it('deploys a commit on demand, and the same commit again as a new release', async () => {
    const sha = randomBytes(20).toString('hex');
    h.world.registry.publish(image(sha));
    const first = await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, {
      version: sha,
      environment: 'staging',
      requestId: 'req-1',
    });
    expect(first.status).toBe(202);
    expect(first.body.releaseId).toBe(`deploy/${service}/${sha}/req-1`);
    expect(first.body.environments).toEqual(['staging']);
    const again = await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, {
      version: sha,
      environment: 'staging',
      requestId: 'req-1',
    });
    expect(again).toMatchObject({ status: 200, body: { releaseId: first.body.releaseId, created: false } });
    expect((await settled(first.body.releaseId)).status).toBe('succeeded');

    const redeploy = await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, {
      version: sha,
      environment: 'staging',
    });
    expect(redeploy.status).toBe(202);
    expect(redeploy.body.releaseId).not.toBe(first.body.releaseId);
    const t = await settled(redeploy.body.releaseId);
    expect(t.status).toBe('succeeded');
    expect(t.links.api).toBe(`http://runway.test/api/releases/${encodeURIComponent(redeploy.body.releaseId)}`);
  });

  it('deploys an older tag to production through its approval gate', async () => {
    const old = gitlab.pushCommit(`acme/${service}`, 'main', { 'a.txt': 'one' }, 'Old feature');
    gitlab.addTag(`acme/${service}`, 'v1.2.0', old.id);
    gitlab.pushCommit(`acme/${service}`, 'main', { 'a.txt': 'two' }, 'Newer work');
    h.world.registry.publish(image(old.id));
    const started = await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, {
      version: 'v1.2.0',
      environment: 'production',
    });
    expect(started.status).toBe(202);
    expect(started.body.sha).toBe(old.id);
    const id = started.body.releaseId as string;
    await waitFor(async () => ((await timeline(id)).status === 'awaiting_approval' ? true : undefined));
    const approved = await call('POST', `/api/releases/${encodeURIComponent(id)}/approve`, TOKENS.approver, {
      environment: 'production',
    });
    expect(approved.status).toBe(200);
    const t = await settled(id);
    expect(t.status).toBe('succeeded');
    expect(t.stages.find((s: { kind: string }) => s.kind === 'deploy').details.image).toBe(
      `registry.example.com/acme/${service}:${old.id}`,
    );
    expect((await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, { version: 'v9.9.9' })).status).toBe(
      404,
    );
  });

  it('freezes and unfreezes over REST (role approve); a frozen environment queues releases', async () => {
    expect((await call('POST', '/api/environments/staging/freeze', TOKENS.deployer, {})).status).toBe(403);
    expect((await call('POST', '/api/environments/nowhere/freeze', TOKENS.approver, {})).status).toBe(404);
    expect(
      (await call('POST', '/api/environments/staging/freeze', TOKENS.approver, { until: '2001-01-01T00:00:00Z' }))
        .status,
    ).toBe(400);
    const frozen = await call('POST', '/api/environments/staging/freeze', TOKENS.approver, { reason: 'load test' });
    expect(frozen).toMatchObject({ status: 200, body: { environment: 'staging', reason: 'load test', by: 'U0ALICE' } });
    expect((await call('GET', '/api/freezes', TOKENS.reader)).body.freezes).toHaveLength(1);

    const sha = randomBytes(20).toString('hex');
    h.world.registry.publish(image(sha));
    const started = await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, {
      version: sha,
      environment: 'staging',
    });
    const id = started.body.releaseId as string;
    const queued = await waitFor(async () => {
      const t = await timeline(id);
      return t.status === 'queued' ? t : undefined;
    });
    expect(queued.stages.at(-1).details.closedBecause).toBe('frozen by U0ALICE: load test');

    // A forced hotfix: deploy role alone is not enough, deploy + approve is.
    const forcedBody = { version: sha, environment: 'staging', force: { reason: 'hotfix INC-9' } };
    expect((await call('POST', `/api/services/${service}/deploy`, TOKENS.deployer, forcedBody)).status).toBe(403);
    const forced = await call('POST', `/api/services/${service}/deploy`, HOTFIX_TOKEN, forcedBody);
    expect(forced.status).toBe(202);
    const hot = await settled(forced.body.releaseId);
    expect(hot.status).toBe('succeeded');
    expect(hot.stages.find((s: { kind: string }) => s.kind === 'window').details).toMatchObject({
      forcedBy: 'bob',
      forceReason: 'hotfix INC-9',
    });

    const lifted = await call('DELETE', '/api/environments/staging/freeze', TOKENS.approver);
    expect(lifted).toMatchObject({ status: 200, body: { wasFrozen: true } });
    expect((await settled(id)).status).toBe('succeeded');
  });

  it('freezes, lists and unfreezes from Slack; only approvers may freeze a gated environment', async () => {
    const deps = slackDeps();
    expect(await runSubcommand(deps, 'freeze production until 2h "db migration"', { id: 'U0MALLORY' })).toMatch(
      /Not allowed/,
    );
    const reply = await runSubcommand(deps, 'freeze production until 2h "db migration"', { id: 'U0ALICE' });
    expect(reply).toMatch(/`production` is frozen until <!date\^\d+/);
    expect(reply).toContain('db migration');
    expect(await runSubcommand(deps, 'freezes', { id: 'U0ALICE' })).toMatch(/`production` by <@U0ALICE> until/);
    expect(await runSubcommand(deps, 'status', { id: 'bob' })).toMatch(/Frozen: `production`/);
    expect(await runSubcommand(deps, 'unfreeze production', { id: 'bob' })).toMatch(/open again/);
    expect(await runSubcommand(deps, 'unfreeze production', { id: 'bob' })).toMatch(/was not frozen/);
  });

  it('/runway deploy of an older tag goes through the approval gate; a force needs an approver', async () => {
    const old = gitlab.pushCommit(`acme/${service}`, 'main', { 'c.txt': 'old' }, 'Older release');
    gitlab.addTag(`acme/${service}`, 'v1.1.0', old.id);
    gitlab.pushCommit(`acme/${service}`, 'main', { 'c.txt': 'new' }, 'Newer');
    h.world.registry.publish(image(old.id));
    const deps = slackDeps();
    expect(
      await runSubcommand(deps, `deploy ${service} v1.1.0 to production --force "because"`, { id: 'U0MALLORY' }),
    ).toMatch(new RegExp(`Not allowed: U0MALLORY is not an approver of ${service} in production`));
    // From Slack, a deploy is for the environment's deployers, else its approvers (by user id, never username).
    expect(await runSubcommand(deps, `deploy ${service} v1.1.0 to production`, { id: 'U0DEV', name: 'bob' })).toMatch(
      /^Not allowed: U0DEV is not an approver/,
    );
    const reply = await runSubcommand(deps, `deploy ${service} v1.1.0 to production`, { id: 'bob', name: 'bob' });
    const id = /`(deploy\/[^`]+)`/.exec(reply)?.[1];
    expect(id).toContain(old.id);
    await waitFor(async () => ((await timeline(id!)).status === 'awaiting_approval' ? true : undefined));
    expect(await runSubcommand(deps, `approve ${service} production`, { id: 'U0ALICE' })).toMatch(/Approved/);
    const t = await settled(id!);
    expect(t.status).toBe('succeeded');
    expect(t.stages.find((s: { kind: string }) => s.kind === 'approval').details.decidedBy).toBe('U0ALICE');
  });

  it('history names merge requests and approvers; rollback to a version', async () => {
    const sha = randomBytes(20).toString('hex');
    h.world.registry.publish(image(sha));
    const plan = ctx.releases.plan(service, {
      sha,
      ref: 'main',
      mergeRequest: {
        iid: 77,
        title: 'Make checkout faster',
        url: 'https://gitlab.example.com/acme/x/-/merge_requests/77',
      },
    });
    await ctx.releases.start(plan);
    await waitFor(async () => ((await timeline(plan.releaseId)).status === 'awaiting_approval' ? true : undefined));
    await call('POST', `/api/releases/${encodeURIComponent(plan.releaseId)}/approve`, TOKENS.approver, {
      environment: 'production',
    });
    expect((await settled(plan.releaseId)).status).toBe('succeeded');
    const deps = slackDeps();
    const history = await waitFor(async () => {
      const text = await runSubcommand(deps, `history ${service}`, { id: 'U0ALICE' });
      return text.includes('Make checkout faster') ? text : undefined;
    });
    expect(history).toMatch(
      /Make checkout faster>: succeeded, started <!date[^>]+>, approved by <@U0ALICE> \(production\)/,
    );
    expect(history).toMatch(/deploy: succeeded/);

    const old = gitlab.pushCommit(`acme/${service}`, 'main', { 'b.txt': 'x' }, 'Known good');
    gitlab.addTag(`acme/${service}`, 'v1.0.1', old.id);
    h.world.registry.publish(image(old.id));
    expect(await runSubcommand(deps, `rollback ${service} production to v1.0.1`, { id: 'U0MALLORY' })).toMatch(
      /Not allowed/,
    );
    const reply = await runSubcommand(deps, `rollback ${service} production to v1.0.1`, { id: 'U0ALICE' });
    expect(reply).toContain(`rollback/${service}/production/to/${old.id}`);
    const again = await runSubcommand(deps, `rollback ${service} production to v1.0.1`, { id: 'U0ALICE' });
    expect(again).toContain(`rollback/${service}/production/to/${old.id}`);
    const done = await settled(`rollback/${service}/production/to/${old.id}`);
    expect(done.status).toBe('succeeded');
    const prod = ctx.config.services[service]!.environments[1]!;
    expect(h.world.infra.imageAt({ kind: 'helm', file: prod.manifest.file, tagPath: 'image.tag' })?.tag).toBe(old.id);

    // Asked again once it finished: one rollback, nothing changes, the words REST's 409 uses.
    const id = `rollback/${service}/production/to/${old.id}`;
    const before = await ctx.client.workflow.getHandle(id).describe();
    const repeated = await runSubcommand(deps, `rollback ${service} production to v1.0.1`, { id: 'U0ALICE' });
    expect(repeated).toMatch(/ in production: already at v1\.0\.1 since \d{4}-\S+ \(rollback\/.+\); nothing changed$/);
    expect(repeated).toContain(id);
    const after = await ctx.client.workflow.getHandle(id).describe();
    expect(after.runId).toBe(before.runId);
    expect(after.status.name).toBe('COMPLETED');
  });

  it('documents the deploy and freeze routes in OpenAPI', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/services/{service}/deploy',
        '/api/environments/{environment}/freeze',
        '/api/freezes',
      ]),
    );
  });
});
