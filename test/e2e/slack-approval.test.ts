// Slack front door on the real Temporal dev server: signed button presses and slash commands reach the release
// workflow through createApp's /slack routes, and what users see lands in the Slack fake.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../integrations/slack.js';
import { APPROVE_ACTION_ID, APPROVAL_BLOCK_ID, REJECT_ACTION_ID } from '../../integrations/slack-blocks.js';
import { createApp } from '../../api/app.js';
import type { ApiContext } from '../../api/context.js';
import { ReleaseService } from '../../api/release-service.js';
import { createSlackRoutes } from '../../api/slack/routes.js';
import { configSchema } from '../../config/schema.js';
import type { ReleasePlan } from '../../domain/types.js';
import { statusQuery } from '../../workflows/messages.js';
import { DEFAULT_FAKE_SLACK_TOKEN, SlackFake } from '../../fakes/slack.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

const SECRET = 'e2e-signing-secret';
const CHANNEL = 'C0PRODAPPROVALS';
const ALICE = { id: 'U0ALICE', username: 'alice' };
const BOB = { id: 'U0BOB', username: 'bob' };
/** Approvers are Slack user ids only: a username never identifies anyone. */
const APPROVERS = ['U0ALICE', 'U0BOB'];
const MALLORY = { id: 'U0MALLORY', username: 'mallory' };
const blockActions = JSON.parse(readFileSync(new URL('../fixtures/slack-block-actions.json', import.meta.url), 'utf8'));

let h: Harness;
let fake: SlackFake;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  fake = new SlackFake({ channels: [{ id: CHANNEL, name: 'prod-approvals' }] });
  await fake.listen();
});
afterAll(async () => {
  await fake?.close();
  await h?.close();
});

/** runway.yaml for the plan's service, matching testPlan's environments so rollbacks build the same targets. */
function configFor(plan: ReleasePlan) {
  const [staging, production] = plan.environments;
  return configSchema.parse({
    temporal: { taskQueue: h.taskQueue },
    slack: { botToken: DEFAULT_FAKE_SLACK_TOKEN, signingSecret: SECRET, apiUrl: fake.apiUrl },
    timing: { pollInterval: 25, heartbeatTimeout: 2_000, retryInitialInterval: 50 },
    services: {
      [plan.service]: {
        gitlab: { project: plan.project.id },
        image: { repository: plan.image.repository },
        infra: { driver: 'git', repository: plan.infra.repository },
        pipeline: { timeout: 5_000, pollInterval: 200 },
        environments: [
          {
            name: 'staging',
            manifest: { file: staging!.target.file, kustomize: { image: plan.image.repository } },
            argocd: { application: staging!.argocd.application },
            healthTimeout: 10_000,
            degradedGrace: 100,
          },
          {
            name: 'production',
            manifest: { file: production!.target.file, helm: { tagPath: 'image.tag' } },
            argocd: { application: production!.argocd.application },
            healthTimeout: 10_000,
            degradedGrace: 100,
            approval: { channel: CHANNEL, approvers: APPROVERS },
          },
        ],
      },
    },
  });
}

/** A release waiting for production approval, with the app that fronts it. */
async function atApproval() {
  const base = testPlan();
  const plan = {
    ...base,
    environments: base.environments.map((e) =>
      e.approval ? { ...e, approval: { ...e.approval, approvers: APPROVERS } } : e,
    ),
  };
  seedEnvironments(h.world, plan);
  h.world.registry.publish(plan.image);
  const config = configFor(plan);
  const ctx: ApiContext = {
    config,
    client: h.client,
    releases: new ReleaseService(h.client, config),
    logger: pino({ level: 'error' }),
    publicUrl: 'http://localhost:8080',
  };
  const app = createApp(ctx, { slack: await createSlackRoutes(ctx) });
  const { handle } = await start(h, plan);
  await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval');
  return { plan, handle, app, ctx };
}

type Setup = Awaited<ReturnType<typeof atApproval>>;

function signed(app: OpenAPIHono, path: string, body: string, opts: { secret?: string; ageSeconds?: number } = {}) {
  const ts = Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0);
  const hex = createHmac('sha256', opts.secret ?? SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex');
  return app.request(path, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': `v0=${hex}`,
      'x-slack-request-timestamp': String(ts),
    },
  });
}

/** Posts the real approval message (as the notifier would) and returns its ts. */
async function postApprovalMessage(s: Setup): Promise<string> {
  const notifier = createSlackNotifier({ token: DEFAULT_FAKE_SLACK_TOKEN, apiUrl: fake.apiUrl, maxAttempts: 1 });
  const { messageRef: ref } = await notifier.publish({
    kind: 'approval_requested',
    channel: CHANNEL,
    environment: 'production',
    timeline: await s.handle.query(statusQuery),
    approvers: APPROVERS,
  });
  return ref!.ts;
}

function buttonPayload(ts: string, actionId: string, user: { id: string; username: string }): string {
  const { channel: _c, ...message } = fake.message(CHANNEL, ts)!;
  const blocks = message.blocks as { block_id?: string; elements?: { action_id: string; value: string }[] }[];
  const button = blocks.find((b) => b.block_id === APPROVAL_BLOCK_ID)!.elements!.find((e) => e.action_id === actionId)!;
  const payload = {
    ...blockActions,
    user: { ...user, team_id: fake.team.id },
    container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'prod-approvals' },
    message,
    actions: [{ ...blockActions.actions[0], action_id: actionId, block_id: APPROVAL_BLOCK_ID, value: button.value }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

let responseUrls = 0;
/** Runs `/runway <text>` and returns the answer, whether it came in the ack or later through the response_url. */
async function runway(s: Setup, text: string, user: { id: string; username: string }): Promise<string> {
  const urlId = `cmd-${++responseUrls}`;
  const form = new URLSearchParams({
    command: '/runway',
    text,
    user_id: user.id,
    user_name: user.username,
    channel_id: CHANNEL,
    team_id: fake.team.id,
    response_url: fake.responseUrl(urlId),
    trigger_id: '1.2.3',
  });
  const res = await signed(s.app, '/slack/commands', form.toString());
  expect(res.status).toBe(200);
  const { text: answer } = (await res.json()) as { text: string };
  if (answer !== 'working…') return answer;
  return waitFor(() => fake.responses(urlId)[0]?.text as string | undefined);
}

const updateEvents = async (s: Setup) =>
  ((await s.handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);

describe('slack: approval buttons', () => {
  it("an approver's signed press deploys production and replaces the approval message", async () => {
    const s = await atApproval();
    const ts = await postApprovalMessage(s);
    const res = await signed(s.app, '/slack/interactions', buttonPayload(ts, APPROVE_ACTION_ID, ALICE));
    expect(res.status).toBe(200);

    expect((await s.handle.result()).status).toBe('succeeded');
    expect(h.world.infra.imageAt(s.plan.environments[1]!.target)?.tag).toBe(s.plan.image.tag);
    const blocks = await waitFor(() => {
      const message = fake.message(CHANNEL, ts)!;
      return message.edited ? JSON.stringify(message.blocks) : undefined;
    });
    expect(blocks).not.toContain(APPROVE_ACTION_ID);
    expect(blocks).toContain('✅ Approved by <@U0ALICE> at <!date^');
    expect(fake.ephemerals().filter((e) => e.user === ALICE.id)).toHaveLength(0);
  });

  it("a non-approver's press only earns an ephemeral refusal; a username approver then rejects", async () => {
    const s = await atApproval();
    const ts = await postApprovalMessage(s);
    const before = structuredClone(fake.message(CHANNEL, ts));
    const res = await signed(s.app, '/slack/interactions', buttonPayload(ts, APPROVE_ACTION_ID, MALLORY));
    expect(res.status).toBe(200);

    const refusal = await waitFor(() => fake.ephemerals().find((e) => e.user === MALLORY.id));
    expect(refusal.channel).toBe(CHANNEL);
    expect(refusal.text).toBe(`Not allowed: U0MALLORY is not an approver of ${s.plan.service} in production`);
    expect((await s.handle.query(statusQuery)).status).toBe('awaiting_approval');
    expect(await updateEvents(s)).toHaveLength(0);
    expect(fake.message(CHANNEL, ts)).toEqual(before);

    // A press by someone whose *username* is an approver's id is refused too: only the user id counts.
    await signed(
      s.app,
      '/slack/interactions',
      buttonPayload(ts, APPROVE_ACTION_ID, { id: 'U0EVE', username: 'U0BOB' }),
    );
    await waitFor(() => fake.ephemerals().find((e) => e.user === 'U0EVE'));
    expect(await updateEvents(s)).toHaveLength(0);

    await signed(s.app, '/slack/interactions', buttonPayload(ts, REJECT_ACTION_ID, BOB));
    const result = await s.handle.result();
    expect(result.status).toBe('rejected');
    const { actions } = await s.handle.query(statusQuery);
    expect(actions?.at(-1)).toMatchObject({ action: 'reject', by: 'U0BOB', environment: 'production' });
    expect(h.world.infra.imageAt(s.plan.environments[1]!.target)?.tag).toBe('v1.0.0');
    await waitFor(() => fake.message(CHANNEL, ts)?.edited);
    expect(JSON.stringify(fake.message(CHANNEL, ts)!.blocks)).toContain('❌ Rejected by <@U0BOB>');
  });

  it('forged and stale signatures get 401 and change nothing', async () => {
    const s = await atApproval();
    const ts = await postApprovalMessage(s);
    const body = buttonPayload(ts, APPROVE_ACTION_ID, ALICE);
    const calls = fake.calls().length;

    const forged = await signed(s.app, '/slack/interactions', body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: { code: 'invalid_signature', message: 'request signature could not be verified' },
    });
    const stale = await signed(s.app, '/slack/interactions', body, { ageSeconds: 6 * 60 });
    expect(stale.status).toBe(401);
    const staleCommand = await signed(s.app, '/slack/commands', 'command=%2Frunway&text=help', { ageSeconds: 400 });
    expect(staleCommand.status).toBe(401);

    expect((await s.handle.query(statusQuery)).status).toBe('awaiting_approval');
    expect(await updateEvents(s)).toHaveLength(0);
    expect(fake.calls()).toHaveLength(calls);
    await s.ctx.releases.decide(s.plan.releaseId, 'reject', { environment: 'production', approver: 'U0BOB' });
  });
});

describe('slack: /runway', () => {
  it('approve through the validator, then status and history show the deployed release', async () => {
    const s = await atApproval();
    const { service, releaseId } = s.plan;
    await waitFor(() => s.ctx.releases.awaitingApproval(service, 'production'));

    expect(await runway(s, `approve ${service} production`, MALLORY)).toBe(
      `Not allowed: U0MALLORY is not an approver of ${service} in production.`,
    );
    expect(await runway(s, `approve ${service} production`, BOB)).toBe(
      `✅ Approved \`${releaseId}\` for \`production\`.`,
    );
    expect((await s.handle.result()).status).toBe('succeeded');

    const image = `${s.plan.image.repository}:${s.plan.image.tag}`;
    const status = await waitFor(async () => {
      const text = await runway(s, `status ${service}`, MALLORY);
      return text.includes('Nothing in flight.') ? text : undefined;
    });
    expect(status).toContain(`• *production*: \`${image}\` since <!date^`);
    expect(status).toContain(`• *staging*: \`${image}\` since`);
    const history = await runway(s, `history ${service}`, MALLORY);
    // The history line names the merge request when the release has one.
    expect(history).toMatch(new RegExp(`• \`${s.plan.commit.sha.slice(0, 8)}\` release( — .*)?: succeeded`));
    expect(await runway(s, 'status no-such-service', MALLORY)).toMatch(/^Unknown service `no-such-service`/);
    expect(await runway(s, `approve ${service} production`, ALICE)).toBe(
      `No release of \`${service}\` is waiting for approval in \`production\`.`,
    );
  });

  it('rollback of production is for its approvers only, and goes back to the previous image', async () => {
    const s = await atApproval();
    const { service } = s.plan;
    // The version running before the release is in the registry, as it would be, so the rollback needs no build.
    h.world.registry.publish({ repository: s.plan.image.repository, tag: 'v1.0.0' });
    await s.ctx.releases.decide(s.plan.releaseId, 'approve', { environment: 'production', approver: 'U0ALICE' });
    expect((await s.handle.result()).status).toBe('succeeded');

    expect(await runway(s, `rollback ${service} production`, MALLORY)).toBe(
      `Not allowed: U0MALLORY is not a deployer of ${service} in production.`,
    );
    const target = s.plan.environments[1]!.target;
    expect(h.world.infra.imageAt(target)?.tag).toBe(s.plan.image.tag);

    const answer = await runway(s, `rollback ${service} production`, ALICE);
    expect(answer).toMatch(
      new RegExp(`^↩️ Rolling back \`${service}\` in \`production\` to \`${s.plan.image.repository}:v1.0.0\``),
    );
    const rollbackId = /\(`(rollback\/[^`]+)`\)/.exec(answer)![1]!;
    const rolledBack = await h.client.workflow.getHandle(rollbackId).result();
    expect(rolledBack).toMatchObject({ status: 'succeeded' });
    const rollbackTimeline = await h.client.workflow.getHandle(rollbackId).query(statusQuery);
    expect(rollbackTimeline.actions?.[0]).toMatchObject({
      action: 'rollback',
      by: 'U0ALICE',
      environment: 'production',
    });
    expect(h.world.infra.imageAt(target)?.tag).toBe('v1.0.0');
  });
});
