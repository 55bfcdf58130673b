// The whole release workflow on the real Temporal dev server, with every activity going through the REAL
// clients: gitbeaker → FakeGitLab, the git CLI → a real bare infra repository, Argo CD REST (and Kubernetes)
// → FakeArgoCd following that repository, fetch → a real docker-registry, @slack/web-api → SlackFake.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../integrations/slack-blocks.js';
import { startRelease } from '../../api/releases.js';
import type { ReleasePlan } from '../../domain/types.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { approveUpdate, pipelineSignal, statusQuery } from '../../workflows/messages.js';
import type { FakeSlackMessage } from '../../fakes/slack.js';
import { waitFor } from '../support/harness.js';
import {
  APPROVALS_CHANNEL,
  ARGOCD_UI_URL,
  MERGE_REQUEST_IID,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
} from '../support/integration-world.js';
import { detailsOf } from '../support/stages.js';

interface Temporal {
  client: Client;
  native: NativeConnection;
  connection: Connection;
}

let temporal: Temporal;

// Service names are also service-lock workflow ids on the shared dev server: keep them unique to this file.
const suffix = randomUUID().slice(0, 6);
const SVC = {
  checkout: `checkout-${suffix}`,
  payments: `payments-${suffix}`,
  search: `search-${suffix}`,
  catalog: `catalog-${suffix}`,
  ledger: `ledger-${suffix}`,
};

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  temporal = { client: new Client({ connection }), native: await NativeConnection.connect({ address }), connection };
});

afterAll(async () => {
  await temporal?.native.close();
  await temporal?.connection.close();
});

/** A Runway worker on its own task queue whose activities use the world's real clients. */
async function startWorker(world: IntegrationWorld): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `e2e-${randomUUID()}`;
  const worker: Worker = await createRunwayWorker({
    connection: temporal.native,
    namespace: 'default',
    taskQueue,
    deps: world.deps(temporal.client, taskQueue),
    workflowBundle: { code: inject('workflowBundleCode') },
    overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

const stagingOnly = (plan: ReleasePlan): ReleasePlan => ({ ...plan, environments: plan.environments.slice(0, 1) });

/** Lines that differ between two versions of a file with the same number of lines. */
function changedLines(before: string, after: string): { before: string; after: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [{ before: line, after: b[i]! }]));
}

/** All the text a reader sees in a Slack message: fallback text plus every block's text. */
function shownText(message: Pick<FakeSlackMessage, 'text' | 'blocks'> | Record<string, unknown> | undefined): string {
  const parts: string[] = [typeof message?.text === 'string' ? message.text : ''];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else visit(value);
      }
    }
  };
  visit(message?.blocks);
  return parts.join('\n');
}

/** A string field of a JSON or form-encoded request body. */
function bodyField(contentType: string | undefined, body: string, field: string): string | undefined {
  if (!body) return undefined;
  const value = contentType?.includes('application/json')
    ? (JSON.parse(body) as Record<string, unknown>)[field]
    : new URLSearchParams(body).get(field);
  return typeof value === 'string' ? value : undefined;
}

const actionIds = (blocks: unknown): string[] =>
  ((blocks as { type: string; elements?: { action_id?: string }[] }[] | undefined) ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).map((e) => e.action_id ?? ''));

describe('release through the real clients (Argo CD REST driver)', () => {
  let world: IntegrationWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    world = await createIntegrationWorld({ services: [SVC.checkout, SVC.payments, SVC.search, SVC.catalog] });
    worker = await startWorker(world);
  });
  afterAll(async () => {
    await worker?.stop();
    await world?.close();
  });

  const start = (plan: ReleasePlan) => startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
  const syncsOf = (application: string) =>
    world.argocd.http
      .received('POST', new RegExp(`^/api/v1/applications/${application}/sync$`))
      .map((r) => ({ revision: (JSON.parse(r.body) as { revision: string }).revision, auth: r.headers.authorization }));
  const deploymentCalls = (project: string) =>
    world.gitlab.http
      .received(undefined, new RegExp(`^/api/v4/projects/${encodeURIComponent(project)}/deployments`))
      .filter((r) => r.method === 'POST' || r.method === 'PUT')
      .map((r) => `${r.method} ${r.query.get('status') ?? bodyField(r.headers['content-type'], r.body, 'status')}`);

  it('deploys staging, waits for approval, deploys production: git, Argo CD, GitLab and Slack all agree', async () => {
    const service = world.service(SVC.checkout);
    const [staging, production] = service.environments;
    const plan = world.plan(SVC.checkout);
    const image = `${plan.image.repository}:${plan.image.tag}`;
    const pushed = await world.pushImage(SVC.checkout, plan.image.tag);
    const before = await world.infra.head();

    const { handle } = await start(plan);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
    // Staging is bumped and live; production not yet.
    expect(await world.infra.show('main', staging!.target.file)).toContain(`newTag: ${plan.image.tag}`);
    expect(await world.infra.show('main', production!.target.file)).toBe(world.seedFiles[production!.target.file]);

    const refused = await handle
      .executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'mallory' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toContain('mallory is not allowed');
    const decision = await handle.executeUpdate(approveUpdate, {
      args: [{ environment: 'production', approver: 'U0ALICE' }],
    });
    expect(decision).toMatchObject({ decision: 'approved', by: 'U0ALICE' });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`)).toEqual([
      'image::skipped',
      'deploy:staging:succeeded',
      'approval:production:succeeded',
      'deploy:production:succeeded',
    ]);
    // The image stage asked the real registry, which answered with the pushed manifest's digest.
    expect(result.timeline.stages[0]!.details).toMatchObject({ buildSkipped: true, digest: pushed.digest });

    // ---- git: exactly one commit per bump, with message, trailers and a one-line change that keeps comments ----
    const commits = await world.infra.log(`${before}..main`);
    expect(commits.map((c) => c.subject)).toEqual([
      `Deploy ${SVC.checkout} ${plan.commit.sha.slice(0, 8)} to staging`,
      `Deploy ${SVC.checkout} ${plan.commit.sha.slice(0, 8)} to production`,
    ]);
    expect(commits.map((c) => c.trailers)).toEqual([
      {
        'Runway-Change': `${plan.releaseId}/staging/deploy`,
        'Runway-Previous-Image': `${service.imageRepository}:v1.0.0`,
      },
      {
        'Runway-Change': `${plan.releaseId}/production/deploy`,
        'Runway-Previous-Image': `${service.imageRepository}:v1.0.0`,
      },
    ]);
    expect(commits.map((c) => c.files)).toEqual([[staging!.target.file], [production!.target.file]]);
    const author = await world.infra.git('log', '-1', '--format=%an <%ae>', commits[0]!.sha);
    expect(author.trim()).toBe('Runway <runway@example.com>');

    const stagingChange = changedLines(
      world.seedFiles[staging!.target.file]!,
      await world.infra.show(commits[0]!.sha, staging!.target.file),
    );
    expect(stagingChange).toEqual([{ before: '    newTag: v1.0.0 # current release', after: expect.any(String) }]);
    expect(stagingChange[0]!.after).toMatch(new RegExp(`^    newTag: "?${plan.image.tag}"? # current release$`));
    const productionChange = changedLines(
      world.seedFiles[production!.target.file]!,
      await world.infra.show(commits[1]!.sha, production!.target.file),
    );
    expect(productionChange).toEqual([{ before: '  tag: v1.0.0 # set by Runway', after: expect.any(String) }]);
    expect(productionChange[0]!.after).toMatch(new RegExp(`^  tag: "?${plan.image.tag}"? # set by Runway$`));
    // The production commit did not touch staging again.
    expect(await world.infra.show(commits[1]!.sha, staging!.target.file)).toBe(
      await world.infra.show(commits[0]!.sha, staging!.target.file),
    );
    expect(detailsOf(result.timeline.stages[1], 'deploy')?.infraCommit).toBe(commits[0]!.sha);
    expect(detailsOf(result.timeline.stages[3], 'deploy')?.infraCommit).toBe(commits[1]!.sha);

    // ---- Argo CD: synced to exactly those commits with the Bearer token; the controller deployed the image ----
    // Manual apps tracking main are synced to the branch (which then contains the bump), not to a sha.
    expect(syncsOf(staging!.application)).toEqual([{ revision: 'main', auth: `Bearer ${world.argocd.token}` }]);
    expect(syncsOf(production!.application)).toEqual([{ revision: 'main', auth: `Bearer ${world.argocd.token}` }]);
    for (const [env, commit] of [
      [staging!, commits[0]!],
      [production!, commits[1]!],
    ] as const) {
      const app = world.argocd.app(env.application);
      expect(app.status.sync).toEqual({ status: 'Synced', revision: commit.sha });
      expect(app.status.operationState?.syncResult?.revision).toBe(commit.sha);
      expect(app.status.health.status).toBe('Healthy');
      expect(app.status.summary.images).toEqual([image]);
    }
    expect(result.timeline.links[`argocd:staging`]).toBe(`${ARGOCD_UI_URL}/applications/${staging!.application}`);

    // ---- GitLab: one deployment per environment, running → success; one MR note with the outcome ----
    const deployments = world.gitlab.deployments(service.project);
    expect(deployments.map((d) => [d.environment, d.sha, d.ref, d.status])).toEqual([
      ['staging', plan.commit.sha, 'main', 'success'],
      ['production', plan.commit.sha, 'main', 'success'],
    ]);
    expect(deploymentCalls(service.project)).toEqual(['POST running', 'PUT success', 'POST running', 'PUT success']);
    const notes = world.gitlab.notes(service.project, MERGE_REQUEST_IID);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('**Runway release succeeded**');
    expect(notes[0]!.body).toContain(`\`${image}\``);
    expect(notes[0]!.body).toContain(`| approval | production | succeeded | by U0ALICE |`);
    expect(notes[0]!.body).toContain(`<!-- runway:${plan.releaseId} -->`);

    // ---- Slack: one release message, updated in place, with the story in its thread ----
    const releaseMessages = world.slack
      .messages(RELEASES_CHANNEL.id)
      .filter((m) => m.text.includes(plan.commit.sha.slice(0, 8)));
    expect(releaseMessages).toHaveLength(1);
    const message = releaseMessages[0]!;
    expect(message.edited).toBeDefined();
    expect(message.blocks?.[0]).toMatchObject({ type: 'header', text: { text: expect.stringContaining('succeeded') } });
    expect(actionIds(message.blocks)).toEqual([]);
    const updates = world.slack.calls('chat.update').filter((c) => c.args.ts === message.ts);
    expect(updates.map((c) => c.args.channel)).toEqual([RELEASES_CHANNEL.id, RELEASES_CHANNEL.id, RELEASES_CHANNEL.id]);
    expect(world.slack.thread(RELEASES_CHANNEL.id, message.ts).map((m) => m.text)).toEqual([
      ':white_check_mark: Deployed in *staging*',
      ':white_check_mark: Deployed in *production*',
      ':tada: Release succeeded',
    ]);
    // The approval request went to the approvers' channel with Approve/Reject buttons, then lost them.
    const approvalPost = world.slack
      .calls('chat.postMessage')
      .find((c) => c.args.channel === `#${APPROVALS_CHANNEL.name}` && shownText(c.args).includes(plan.service));
    expect(approvalPost).toBeDefined();
    expect(actionIds(approvalPost!.args.blocks)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
    expect(shownText(approvalPost!.args)).toContain(
      'Approval needed to deploy to *production*. Approvers: <@U0ALICE>, @bob',
    );
    const approvalMessages = world.slack
      .messages(APPROVALS_CHANNEL.id)
      .filter((m) => m.text.includes(plan.commit.sha.slice(0, 8)));
    expect(approvalMessages).toHaveLength(1);
    expect(actionIds(approvalMessages[0]!.blocks)).toEqual([]);
    expect(shownText(approvalMessages[0])).toContain('Approved by <@U0ALICE>');
    expect(world.slack.thread(APPROVALS_CHANNEL.id, approvalMessages[0]!.ts).map((m) => m.text)).toEqual([
      expect.stringContaining(':white_check_mark: Approved by <@U0ALICE>'),
    ]);
  });

  it('rolls staging back when the new image ends Degraded: revert commit, re-sync, failed deployment, loud messages', async () => {
    const service = world.service(SVC.payments);
    const [staging, production] = service.environments;
    const base = world.plan(SVC.payments);
    const plan: ReleasePlan = { ...base, image: { ...base.image, tag: `${base.commit.sha.slice(0, 8)}-bad` } };
    await world.pushImage(SVC.payments, plan.image.tag);
    const before = await world.infra.head();

    const { handle } = await start(plan);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(t.error).toContain('Degraded');
    expect(t.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`)).toEqual([
      'image::skipped',
      'deploy:staging:failed',
      'rollback:staging:succeeded',
    ]);

    // ---- git: the bump, then the revert restoring the previous image byte for byte ----
    const commits = await world.infra.log(`${before}..main`);
    expect(commits.map((c) => c.subject)).toEqual([
      `Deploy ${SVC.payments} ${plan.commit.sha.slice(0, 8)} to staging`,
      `Roll back ${SVC.payments} in staging to v1.0.0 (release ${plan.commit.sha.slice(0, 8)} failed)`,
    ]);
    expect(commits.map((c) => c.trailers)).toEqual([
      {
        'Runway-Change': `${plan.releaseId}/staging/deploy`,
        'Runway-Previous-Image': `${service.imageRepository}:v1.0.0`,
      },
      {
        'Runway-Change': `${plan.releaseId}/staging/rollback`,
        'Runway-Previous-Image': `${service.imageRepository}:${plan.image.tag}`,
      },
    ]);
    expect(commits.map((c) => c.files)).toEqual([[staging!.target.file], [staging!.target.file]]);
    expect(await world.infra.show(commits[0]!.sha, staging!.target.file)).toContain(`newTag: ${plan.image.tag}`);
    expect(await world.infra.show('main', staging!.target.file)).toBe(world.seedFiles[staging!.target.file]);
    expect(await world.infra.show('main', production!.target.file)).toBe(world.seedFiles[production!.target.file]);

    // ---- Argo CD: synced to the bump, then to the revert; back on the previous image and Healthy ----
    expect(syncsOf(staging!.application).map((s) => s.revision)).toEqual(['main', 'main']);
    expect(world.argocd.app(staging!.application).status.history.map((h) => h.revision)).toEqual(
      commits.map((c) => c.sha),
    );
    expect(syncsOf(production!.application)).toEqual([]);
    const app = world.argocd.app(staging!.application);
    expect(app.status.sync.revision).toBe(commits[1]!.sha);
    expect(app.status.health.status).toBe('Healthy');
    expect(app.status.summary.images).toEqual([`${service.imageRepository}:v1.0.0`]);

    // ---- GitLab: the deployment failed; the MR note says rolled back and links Argo CD ----
    const appUrl = `${ARGOCD_UI_URL}/applications/${staging!.application}`;
    expect(world.gitlab.deployments(service.project).map((d) => [d.environment, d.status])).toEqual([
      ['staging', 'failed'],
    ]);
    expect(deploymentCalls(service.project)).toEqual(['POST running', 'PUT failed']);
    const notes = world.gitlab.notes(service.project, MERGE_REQUEST_IID);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('**Runway release rolled back**');
    expect(notes[0]!.body).toContain(`[argocd:staging](${appUrl})`);
    expect(notes[0]!.body).toContain('| rollback | staging | succeeded |');

    // ---- Slack: the release message shows the failure, the rollback and the links ----
    const messages = world.slack
      .messages(RELEASES_CHANNEL.id)
      .filter((m) => m.text.includes(plan.commit.sha.slice(0, 8)));
    expect(messages).toHaveLength(1);
    const shown = shownText(messages[0]);
    expect(shown).toContain('rolled back');
    expect(shown).toContain('Degraded');
    expect(shown).toContain(`<${appUrl}|Argo CD (staging)>`);
    expect(shown).toMatch(
      new RegExp(
        `<https://grafana\\.example\\.com/explore\\?service=${SVC.payments}&amp;env=staging&amp;[^|>]*\\|Logs>`,
      ),
    );
    expect(world.slack.thread(RELEASES_CHANNEL.id, messages[0]!.ts).map((m) => m.text)).toEqual([
      ':leftwards_arrow_with_hook: Rolled back',
    ]);
  });

  it('waits for the pipeline while the image is missing, then proceeds once CI pushed it (GitLab polled)', async () => {
    const service = world.service(SVC.search);
    const plan = stagingOnly(world.plan(SVC.search, { pipeline: { timeoutMs: 30_000, pollIntervalMs: 200 } }));
    const pipeline = world.gitlab.addPipeline(service.project, { sha: plan.commit.sha, status: 'running' });
    const before = await world.infra.head();

    const { handle } = await start(plan);
    await waitFor(
      async () => detailsOf((await handle.query(statusQuery)).stages[0], 'image')?.pipelineStatus === 'running',
    );
    // Several polls later it is still waiting, and nothing was deployed.
    await waitFor(() => world.gitlab.http.received('GET', /\/pipelines$/).length >= 3 || undefined);
    const waiting = await handle.query(statusQuery);
    expect(waiting.stages.map((s) => `${s.kind}:${s.state}`)).toEqual(['image:running']);
    expect(waiting.stages[0]!.details).toMatchObject({
      buildSkipped: false,
      pipelineId: pipeline.id,
      pipelineUrl: `${world.gitlab.url}/${service.project}/-/pipelines/${pipeline.id}`,
    });
    expect(await world.infra.head()).toBe(before);

    // CI finishes: the image lands in the registry, then GitLab reports the pipeline successful.
    const pushed = await world.pushImage(SVC.search, plan.image.tag);
    pipeline.status = 'success';
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages[0]).toMatchObject({
      kind: 'image',
      state: 'succeeded',
      details: { buildSkipped: false, pipelineStatus: 'success', digest: pushed.digest },
    });
    const commits = await world.infra.log(`${before}..main`);
    expect(commits.map((c) => c.trailers['Runway-Change'])).toEqual([`${plan.releaseId}/staging/deploy`]);
  });

  it('wakes on the pipeline webhook signal instead of waiting for the next poll', async () => {
    const service = world.service(SVC.catalog);
    const plan = stagingOnly(world.plan(SVC.catalog, { pipeline: { timeoutMs: 60_000, pollIntervalMs: 60_000 } }));
    const pipeline = world.gitlab.addPipeline(service.project, { sha: plan.commit.sha, status: 'running' });

    const { handle } = await start(plan);
    await waitFor(
      async () => detailsOf((await handle.query(statusQuery)).stages[0], 'image')?.pipelineStatus === 'running',
    );
    const pushed = await world.pushImage(SVC.catalog, plan.image.tag);
    pipeline.status = 'success';
    const signalledAt = Date.now();
    await handle.signal(pipelineSignal, { pipelineId: pipeline.id, status: 'success' });
    await waitFor(async () => (await handle.query(statusQuery)).stages.some((s) => s.kind === 'deploy') || undefined);
    // Well inside the 60 s poll interval: the signal, not a poll, moved it on.
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages[0]!.details).toMatchObject({ pipelineId: pipeline.id, digest: pushed.digest });
  });
});

describe('release through the real clients (Argo CD Kubernetes driver)', () => {
  let world: IntegrationWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    world = await createIntegrationWorld({ services: [SVC.ledger], argocdDriver: 'kubernetes' });
    worker = await startWorker(world);
  });
  afterAll(async () => {
    await worker?.stop();
    await world?.close();
  });

  it('deploys staging by patching the Application resource', async () => {
    const service = world.service(SVC.ledger);
    const staging = service.environments[0]!;
    const plan = stagingOnly(world.plan(SVC.ledger));
    await world.pushImage(SVC.ledger, plan.image.tag);
    const before = await world.infra.head();

    const { handle } = await startRelease(temporal.client, plan, { taskQueue: worker.taskQueue });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');

    const commits = await world.infra.log(`${before}..main`);
    expect(commits).toHaveLength(1);
    const kubePath = `/apis/argoproj.io/v1alpha1/namespaces/${world.argocd.namespace}/applications/${staging.application}`;
    const patches = world.argocd.http.received('PATCH', new RegExp(`^${kubePath}$`)).map((r) => ({
      contentType: r.headers['content-type'],
      auth: r.headers.authorization,
      body: JSON.parse(r.body) as { operation?: { sync?: { revision?: string } } },
    }));
    const syncs = patches.filter((p) => p.body.operation);
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toMatchObject({
      contentType: expect.stringContaining('application/merge-patch+json'),
      auth: `Bearer ${world.argocd.token}`,
      body: { operation: { sync: { revision: 'main' } } },
    });
    expect(world.argocd.app(staging.application).status.operationState?.syncResult?.revision).toBe(commits[0]!.sha);
    // The health wait asked for a refresh through the annotation, as kubectl users do.
    expect(world.argocd.refreshes).toContainEqual({
      application: staging.application,
      kind: 'normal',
      via: 'kubernetes',
    });
    expect(world.argocd.http.received('POST', /\/sync$/)).toEqual([]);
    const app = world.argocd.app(staging.application);
    expect(app.status.sync.revision).toBe(commits[0]!.sha);
    expect(app.status.summary.images).toEqual([`${plan.image.repository}:${plan.image.tag}`]);
    expect(result.timeline.links['argocd:staging']).toBe(
      `${ARGOCD_UI_URL}/applications/${world.argocd.namespace}/${staging.application}`,
    );
    expect(world.gitlab.deployments(service.project).map((d) => d.status)).toEqual(['success']);
  });
});
