// The /slack sub-app end to end over HTTP, with a stand-in ReleaseService (no Temporal) and the Slack fake.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Hono } from 'hono';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSlackNotifier } from '../../integrations/slack.js';
import { APPROVE_ACTION_ID, APPROVAL_BLOCK_ID, REJECT_ACTION_ID } from '../../integrations/slack-blocks.js';
import { configSchema } from '../../config/schema.js';
import type { ApiContext } from '../../api/context.js';
import {
  AlreadyEndedError,
  ConflictError,
  DecisionRefusedError,
  type ReleaseService,
  type ReleaseSummary,
} from '../../api/release-service.js';
import { createSlackRoutes } from '../../api/slack/routes.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import { SlackFake } from '../../fakes/slack.js';

const SECRET = 'routes-signing-secret';
const TOKEN = 'xoxb-routes-token';
const CHANNEL = 'C0APPROVALS';
const RELEASE = 'release/payments/0123456789abcdef0123456789abcdef01234567';
// Slack payloads in their documented shapes (test/fixtures/README.md says where each comes from).
const fixtureText = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

function configFor(apiUrl: string, slack: Record<string, unknown> = { signingSecret: SECRET }) {
  const env = (name: string, approval?: object, deployers?: string[]) => ({
    name,
    manifest: { file: `apps/payments/${name}.yaml`, kustomize: { image: 'registry.example.com/acme/payments' } },
    argocd: { application: `payments-${name}` },
    ...(approval ? { approval } : {}),
    ...(deployers ? { deployers } : {}),
  });
  return configSchema.parse({
    slack: { botToken: TOKEN, apiUrl, ...slack },
    services: {
      payments: {
        gitlab: { project: 'acme/payments' },
        image: { repository: 'registry.example.com/acme/payments' },
        infra: { repository: 'acme/infra' },
        environments: [
          env('canary'),
          env('staging', undefined, ['U0DEV']),
          env('production', { channel: CHANNEL, approvers: ['U0ALICE', 'U0BOB', 'W111'] }),
        ],
      },
    },
  });
}

function timeline(): ReleaseTimeline {
  return {
    releaseId: RELEASE,
    service: 'payments',
    commit: '0123456789abcdef0123456789abcdef01234567',
    status: 'awaiting_approval',
    stage: 'approval:production',
    stages: [{ kind: 'approval', environment: 'production', state: 'running', details: { approvers: 'U0ALICE, bob' } }],
    warnings: [],
    links: {},
  };
}

const releases = {
  decide: vi.fn<ReleaseService['decide']>(),
  awaitingApproval: vi.fn<ReleaseService['awaitingApproval']>(),
  list: vi.fn<ReleaseService['list']>(),
  currentVersions: vi.fn<ReleaseService['currentVersions']>(),
  rollback: vi.fn<ReleaseService['rollback']>(),
};

let fake: SlackFake;
let routes: Hono;
let logs: string[];

beforeEach(async () => {
  for (const fn of Object.values(releases)) fn.mockReset();
  fake = new SlackFake({ tokens: [TOKEN], channels: [{ id: CHANNEL, name: 'prod-approvals' }] });
  await fake.listen();
  logs = [];
  const ctx: ApiContext = {
    config: configFor(fake.apiUrl),
    client: {} as Client,
    releases: releases as unknown as ReleaseService,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    publicUrl: 'http://localhost:8080',
  };
  routes = (await createSlackRoutes(ctx, { commandAckWindowMs: 200 }))!;
});
afterEach(async () => fake.close());

function signed(path: string, body: string) {
  const ts = Math.floor(Date.now() / 1000);
  const hex = createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');
  return routes.request(path, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': `v0=${hex}`,
      'x-slack-request-timestamp': String(ts),
    },
  });
}

/** Posts the real approval message to the fake and returns a block_actions payload pressing one of its buttons. */
async function pressButton(actionId: string, user: { id: string; username: string }) {
  const notifier = createSlackNotifier({ token: TOKEN, apiUrl: fake.apiUrl, maxAttempts: 1 });
  const { messageRef: ref } = await notifier.publish({
    kind: 'approval_requested',
    channel: CHANNEL,
    environment: 'production',
    timeline: timeline(),
    approvers: ['U0ALICE', 'bob'],
  });
  const message = fake.message(CHANNEL, ref!.ts)!;
  const button = (message.blocks as { block_id?: string; elements?: { action_id: string; value: string }[] }[])
    .find((b) => b.block_id === APPROVAL_BLOCK_ID)!
    .elements!.find((e) => e.action_id === actionId)!;
  const base = JSON.parse(fixtureText('slack-block-actions.json'));
  const payload = {
    ...base,
    user: { ...user, team_id: base.team.id },
    container: { type: 'message', message_ts: message.ts, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'prod-approvals' },
    message: { ...message, channel: undefined },
    actions: [{ ...base.actions[0], action_id: actionId, block_id: APPROVAL_BLOCK_ID, value: button.value }],
  };
  const res = await signed('/interactions', new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  return { res, ts: message.ts, before: structuredClone(message) };
}

function command(text: string, user = { id: 'U0ALICE', name: 'alice' }) {
  const form = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0FAKE',
    channel_id: CHANNEL,
    channel_name: 'prod-approvals',
    user_id: user.id,
    user_name: user.name,
    command: '/runway',
    text,
    response_url: fake.responseUrl('R1'),
    trigger_id: '1.2.3',
    api_app_id: 'A0RUNWAY',
  });
  return signed('/commands', form.toString());
}

async function commandReply(text: string, user?: { id: string; name: string }): Promise<string> {
  const res = await command(text, user);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { response_type: string; text: string };
  expect(body.response_type).toBe('ephemeral');
  return body.text;
}

describe('createSlackRoutes', () => {
  it('is undefined when Slack has no signing secret', async () => {
    const base = { client: {} as Client, releases: releases as unknown as ReleaseService, publicUrl: '' };
    const logger = pino({ level: 'silent' });
    const noSecret = configFor('http://127.0.0.1:1/api/', { signingSecret: undefined });
    expect(await createSlackRoutes({ ...base, logger, config: noSecret })).toBeUndefined();
    const noSlack = { ...noSecret, slack: undefined };
    expect(await createSlackRoutes({ ...base, logger, config: noSlack })).toBeUndefined();
    expect(fake.calls()).toHaveLength(0);
  });

  it('makes no Slack call at startup or per request just to learn who the bot is', async () => {
    await commandReply('help');
    expect(fake.calls('auth.test')).toHaveLength(0);
  });
});

describe('approval buttons', () => {
  it('an allowed press decides with the Slack identities and replaces the buttons in place', async () => {
    releases.decide.mockResolvedValue({
      environment: 'production',
      decision: 'approved',
      by: 'U0ALICE',
      at: '2026-01-02T03:04:05.000Z',
    });
    const { res, ts } = await pressButton(APPROVE_ACTION_ID, { id: 'U0ALICE', username: 'alice' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await vi.waitFor(() => expect(fake.calls('chat.update')).toHaveLength(1));
    // The user id only: usernames and display names are not identities.
    expect(releases.decide).toHaveBeenCalledWith(RELEASE, 'approve', {
      environment: 'production',
      approver: 'U0ALICE',
    });
    const updated = fake.message(CHANNEL, ts)!;
    const blocks = JSON.stringify(updated.blocks);
    expect(blocks).not.toContain(APPROVE_ACTION_ID);
    expect(blocks).toContain('✅ Approved by <@U0ALICE> at <!date^1767323045^');
    expect(updated.text).toContain('payments');
    expect(fake.ephemerals()).toHaveLength(0);
  });

  it('a reject press says Rejected', async () => {
    releases.decide.mockResolvedValue({
      environment: 'production',
      decision: 'rejected',
      by: 'bob',
      at: '2026-01-02T03:04:05Z',
    });
    const { ts } = await pressButton(REJECT_ACTION_ID, { id: 'U0BOB', username: 'bob' });
    await vi.waitFor(() => expect(fake.calls('chat.update')).toHaveLength(1));
    expect(releases.decide.mock.calls[0]![1]).toBe('reject');
    expect(JSON.stringify(fake.message(CHANNEL, ts)!.blocks)).toContain('❌ Rejected by <@U0BOB>');
  });

  it('a refused press only tells the presser, and the message keeps its buttons', async () => {
    const { ts, before } = await pressButton(APPROVE_ACTION_ID, { id: 'U0MALLORY', username: 'mallory' });
    await vi.waitFor(() => expect(fake.ephemerals()).toHaveLength(1));
    expect(fake.ephemerals()[0]).toMatchObject({
      channel: CHANNEL,
      user: 'U0MALLORY',
      text: 'Not allowed: U0MALLORY is not an approver of payments in production',
    });
    expect(releases.decide).not.toHaveBeenCalled();
    expect(fake.calls('chat.update')).toHaveLength(0);
    expect(fake.message(CHANNEL, ts)).toEqual(before);
  });

  it('a user whose username is an approver id is still refused: only the user id counts', async () => {
    await pressButton(APPROVE_ACTION_ID, { id: 'U0MALLORY', username: 'U0ALICE' });
    await vi.waitFor(() => expect(fake.ephemerals()).toHaveLength(1));
    expect(fake.ephemerals()[0]!.text).toBe('Not allowed: U0MALLORY is not an approver of payments in production');
    expect(releases.decide).not.toHaveBeenCalled();
  });

  it("the workflow's own refusal reaches the presser too", async () => {
    releases.decide.mockRejectedValue(new DecisionRefusedError('release/payments/0123 is not waiting for an approval'));
    await pressButton(APPROVE_ACTION_ID, { id: 'U0ALICE', username: 'alice' });
    await vi.waitFor(() => expect(fake.ephemerals()).toHaveLength(1));
    expect(fake.ephemerals()[0]!.text).toBe('Not allowed: release/payments/0123 is not waiting for an approval');
  });

  it('a press on a release that has ended says so, with its status', async () => {
    releases.decide.mockRejectedValue(new AlreadyEndedError(`${RELEASE} already ended (expired)`));
    await pressButton(APPROVE_ACTION_ID, { id: 'U0ALICE', username: 'alice' });
    await vi.waitFor(() => expect(fake.ephemerals()).toHaveLength(1));
    expect(fake.ephemerals()[0]!.text).toBe(`Too late: ${RELEASE} already ended (expired).`);
  });

  it('a press from an ephemeral container (no message to edit) gets a receipt instead', async () => {
    releases.decide.mockResolvedValue({
      environment: 'production',
      decision: 'approved',
      by: 'W111',
      at: '2026-01-02T03:04:05Z',
    });
    const base = JSON.parse(fixtureText('slack-block-actions-ephemeral.json'));
    const value = JSON.stringify({ releaseId: RELEASE, environment: 'production' });
    const payload = {
      ...base,
      container: { ...base.container, channel_id: CHANNEL },
      channel: { id: CHANNEL, name: 'prod-approvals' },
      actions: [{ ...base.actions[0], action_id: APPROVE_ACTION_ID, block_id: APPROVAL_BLOCK_ID, value }],
    };
    await signed('/interactions', new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    await vi.waitFor(() => expect(fake.ephemerals()).toHaveLength(1));
    expect(releases.decide.mock.calls[0]![2]).toEqual({ environment: 'production', approver: 'W111' });
    expect(fake.ephemerals()[0]!.text).toMatch(/^✅ Approved by <@W111>/);
    expect(fake.calls('chat.update')).toHaveLength(0);
  });
});

describe('/runway', () => {
  it('help, unknown commands, services and environments get a clear answer', async () => {
    expect(await commandReply('')).toContain('`status <service>`');
    expect(await commandReply('launch payments')).toMatch(/^Unknown command `launch`/);
    expect(await commandReply('deploy payments')).toMatch(/^Usage: `\/runway deploy/);
    expect(await commandReply('status nope')).toBe('Unknown service `nope`. Known services: `payments`.');
    expect(await commandReply('approve payments qa')).toBe(
      '`payments` has no environment `qa`. Its environments: `canary`, `staging`, `production`.',
    );
    expect(await commandReply('approve payments staging')).toBe('`staging` of `payments` has no approval gate.');
    expect(await commandReply('status <!channel>')).not.toContain('<!channel>');
  });

  it('status shows each environment and what is in flight', async () => {
    releases.currentVersions.mockResolvedValue([
      {
        service: 'payments',
        environment: 'staging',
        image: 'registry.example.com/acme/payments:abc',
        deployedAt: '2026-01-01T00:00:00Z',
      },
      { service: 'payments', environment: 'production' },
    ]);
    const running: ReleaseSummary = {
      releaseId: RELEASE,
      workflowType: 'releaseWorkflow',
      commit: '0123456789abcdef',
      status: 'awaiting_approval',
      stage: 'approval:production',
      startedAt: '2026-01-01T00:00:00Z',
      temporalStatus: 'RUNNING',
    };
    releases.list.mockResolvedValue({
      releases: [running, { ...running, releaseId: 'old', temporalStatus: 'COMPLETED' }],
    });
    const text = await commandReply('status payments');
    expect(text).toContain('• *staging*: `registry.example.com/acme/payments:abc` since <!date^');
    expect(text).toContain('• *production*: nothing deployed by Runway yet');
    expect(text).toContain('In flight:\n• `01234567` release: awaiting approval at `approval:production`');
    expect(text.match(/• `01234567`/g)).toHaveLength(1);
  });

  it('history lists the last releases newest first', async () => {
    const r = (commit: string, startedAt: string, extra: Partial<ReleaseSummary> = {}): ReleaseSummary => ({
      releaseId: commit,
      workflowType: 'releaseWorkflow',
      commit,
      status: 'succeeded',
      startedAt,
      temporalStatus: 'COMPLETED',
      ...extra,
    });
    releases.list.mockResolvedValue({
      releases: [
        r('aaaaaaaa11', '2026-01-01T00:00:00Z'),
        r('bbbbbbbb22', '2026-01-03T00:00:00Z', {
          workflowType: 'rollbackWorkflow',
          environment: 'production',
          status: 'rolled_back',
        }),
      ],
    });
    const text = await commandReply('history payments');
    expect(releases.list).toHaveBeenCalledWith({ service: 'payments', pageSize: 10 });
    expect(text.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^• `bbbbbbbb` rollback of production: rolled back, started <!date\^/),
      expect.stringMatching(/^• `aaaaaaaa` release: succeeded, started <!date\^/),
    ]);
    releases.list.mockResolvedValue({ releases: [] });
    expect(await commandReply('history payments')).toBe('No releases of `payments` yet.');
  });

  it('approve finds the waiting release and goes through the workflow validator', async () => {
    releases.awaitingApproval.mockResolvedValue(RELEASE);
    releases.decide.mockResolvedValue({ environment: 'production', decision: 'approved', by: 'U0ALICE', at: '' });
    expect(await commandReply('approve payments production')).toBe(`✅ Approved \`${RELEASE}\` for \`production\`.`);
    expect(releases.decide).toHaveBeenCalledWith(RELEASE, 'approve', {
      environment: 'production',
      approver: 'U0ALICE',
    });

    // Refused from runway.yaml before Temporal is asked; a username equal to an approver's id changes nothing.
    expect(await commandReply('reject payments production', { id: 'U0M', name: 'U0ALICE' })).toBe(
      'Not allowed: U0M is not an approver of payments in production.',
    );
    expect(releases.decide).toHaveBeenCalledTimes(1);
    releases.decide.mockRejectedValue(new DecisionRefusedError('the release is not waiting for an approval'));
    expect(await commandReply('reject payments production')).toBe(
      'Not allowed: the release is not waiting for an approval',
    );
    releases.awaitingApproval.mockResolvedValue(undefined);
    expect(await commandReply('approve payments production')).toBe(
      'No release of `payments` is waiting for approval in `production`.',
    );
  });

  it('rollback is for the deployers (else the approvers) by user id; an environment with neither is closed', async () => {
    releases.rollback.mockResolvedValue({
      rollbackId: 'rollback/payments/production/v1',
      image: 'reg/payments:v1',
      alreadyRunning: false,
    });
    expect(await commandReply('rollback payments production', { id: 'U0EVE', name: 'U0BOB' })).toBe(
      'Not allowed: U0EVE is not a deployer of payments in production.',
    );
    expect(await commandReply('rollback payments staging', { id: 'U0ALICE', name: 'alice' })).toBe(
      'Not allowed: U0ALICE is not a deployer of payments in staging.',
    );
    expect(await commandReply('rollback payments canary', { id: 'U0ALICE', name: 'alice' })).toBe(
      'Not allowed: nobody may change payments in canary from Slack: set deployers (or an approval gate) for it in runway.yaml.',
    );
    expect(releases.rollback).not.toHaveBeenCalled();
    expect(await commandReply('rollback payments production', { id: 'U0BOB', name: 'bob' })).toContain(
      '↩️ Rolling back `payments` in `production` to `reg/payments:v1`',
    );
    expect(await commandReply('rollback payments staging', { id: 'U0DEV', name: 'dev' })).toContain('Rolling back');
    // Who asked is recorded by id.
    expect(releases.rollback.mock.calls).toEqual([
      ['payments', 'production', 'U0BOB'],
      ['payments', 'staging', 'U0DEV'],
    ]);
    releases.rollback.mockRejectedValue(new ConflictError('no earlier successful version of payments in staging'));
    expect(await commandReply('rollback payments staging', { id: 'U0DEV', name: 'dev' })).toBe(
      'no earlier successful version of payments in staging',
    );
  });

  it('a slow answer is acked "working…" and then arrives through the response_url, not chat.postEphemeral', async () => {
    releases.list.mockImplementation(async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { releases: [] };
    });
    expect(await commandReply('history payments', { id: 'U0BOB', name: 'bob' })).toBe('working…');
    await vi.waitFor(() => expect(fake.responses('R1')).toHaveLength(1));
    expect(fake.responses('R1')[0]).toMatchObject({
      response_type: 'ephemeral',
      text: 'No releases of `payments` yet.',
    });
    expect(fake.calls('chat.postEphemeral')).toHaveLength(0);
  });

  it('an unexpected failure is logged and the user gets a generic answer', async () => {
    releases.list.mockRejectedValue(new Error('visibility store down'));
    expect(await commandReply('history payments')).toBe('Something went wrong in Runway; the details are in its logs.');
    expect(logs.join('')).toContain('visibility store down');
  });
});
