import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseTimeline } from '../../domain/types.js';
import {
  PermanentSlackError,
  SlackCallError,
  createSlackApi,
  createSlackNotifier,
  type SlackOptions,
} from '../../integrations/slack.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, parseApprovalButtonValue } from '../../integrations/slack-blocks.js';
import { SlackFake } from '../../fakes/slack.js';

const TOKEN = 'xoxb-1234-5678-secretsecretsecret';
const CHANNEL = 'C0RELEASES';

function timeline(overrides: Partial<ReleaseTimeline> = {}): ReleaseTimeline {
  return {
    releaseId: 'rel-1',
    service: 'payments',
    commit: '0123456789abcdef0123456789abcdef01234567',
    status: 'running',
    stage: 'image',
    stages: [{ kind: 'image', state: 'running', details: {} }],
    warnings: [],
    links: {},
    ...overrides,
  };
}

function errorText(err: unknown): string {
  const e = err as Error;
  return `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e)}`;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

let fake: SlackFake;
let options: SlackOptions;

beforeEach(async () => {
  fake = new SlackFake({
    tokens: [TOKEN],
    channels: [
      { id: CHANNEL, name: 'releases' },
      { id: 'C0OUTSIDE', botIsMember: false },
    ],
  });
  await fake.listen();
  options = {
    token: TOKEN,
    apiUrl: fake.apiUrl,
    defaultChannel: CHANNEL,
    maxAttempts: 3,
    retryBaseMs: 5,
    retryAfterCapMs: 2_000,
  };
});

afterEach(async () => {
  await fake.close();
});

describe('Slack notifier', () => {
  it('posts once, then updates the same message and replies in its thread', async () => {
    const notifier = createSlackNotifier(options);
    const first = await notifier.publish({ kind: 'started', timeline: timeline() });
    expect(first.messageRef).toEqual({ channel: CHANNEL, ts: '1700000000.000100' });
    const messageRef = first.messageRef!;

    const deployed = timeline({
      stage: 'deploy:staging',
      stages: [
        { kind: 'image', state: 'succeeded', details: {} },
        { kind: 'deploy', environment: 'staging', state: 'succeeded', details: { infraCommit: 'abcdef0123456789' } },
      ],
    });
    const second = await notifier.publish({
      kind: 'deployed',
      environment: 'staging',
      timeline: deployed,
      messageRef,
      detail: 'synced abcdef01',
    });
    const third = await notifier.publish({
      kind: 'succeeded',
      timeline: { ...deployed, status: 'succeeded' },
      messageRef,
    });
    expect(second.messageRef).toEqual(messageRef);
    expect(third.messageRef).toEqual(messageRef);

    const top = fake.messages(CHANNEL);
    expect(top).toHaveLength(1);
    expect(top[0]!.ts).toBe(messageRef.ts);
    expect(top[0]!.edited).toBeDefined();
    expect(top[0]!.text).toContain('payments 01234567 succeeded');
    expect(JSON.stringify(top[0]!.blocks)).toContain('Infra commit `abcdef01`');
    expect(fake.thread(CHANNEL, messageRef.ts).map((m) => m.text)).toEqual([
      ':white_check_mark: Deployed in *staging*\nsynced abcdef01',
      ':tada: Release succeeded',
    ]);
    expect(fake.calls('chat.update')).toHaveLength(2);
  });

  it('resolves a channel name to its id, so later updates address the id', async () => {
    const notifier = createSlackNotifier({ ...options, defaultChannel: undefined });
    const { messageRef } = await notifier.publish({ kind: 'started', channel: '#releases', timeline: timeline() });
    expect(messageRef?.channel).toBe(CHANNEL);
  });

  it('approval buttons carry {releaseId, environment} through the wire', async () => {
    const notifier = createSlackNotifier(options);
    await notifier.publish({
      kind: 'approval_requested',
      environment: 'production',
      approvers: ['U0ALICE'],
      timeline: timeline({
        status: 'awaiting_approval',
        stages: [{ kind: 'approval', environment: 'production', state: 'running', details: {} }],
      }),
    });
    // web-api sends blocks JSON-stringified inside a form body; the fake stores them parsed.
    expect(fake.calls('chat.postMessage')[0]!.contentType).toBe('application/x-www-form-urlencoded');
    const blocks = fake.messages(CHANNEL)[0]!.blocks as {
      type: string;
      elements?: { action_id: string; value: string }[];
    }[];
    const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
    for (const b of buttons)
      expect(parseApprovalButtonValue(b.value)).toEqual({ releaseId: 'rel-1', environment: 'production' });
  });

  it('a failure message carries the job, Argo CD and logs links', async () => {
    const notifier = createSlackNotifier(options);
    await notifier.publish({
      kind: 'failed',
      timeline: timeline({
        status: 'failed',
        error: 'pipeline failed',
        links: {
          failedJob: 'https://gitlab.example.com/acme/payments/-/jobs/42',
          'argocd:staging': 'https://argocd.example.com/applications/payments-staging',
          logs: 'https://grafana.example.com/explore?x=1',
        },
      }),
    });
    const shown = JSON.stringify(fake.messages(CHANNEL)[0]!.blocks);
    expect(shown).toContain('https://gitlab.example.com/acme/payments/-/jobs/42|Failed job');
    expect(shown).toContain('https://argocd.example.com/applications/payments-staging|Argo CD (staging)');
    expect(shown).toContain('https://grafana.example.com/explore?x=1|Logs');
  });

  it('posts a new message when the old one is gone', async () => {
    const notifier = createSlackNotifier(options);
    const { messageRef } = await notifier.publish({ kind: 'started', timeline: timeline() });
    fake.deleteMessage(CHANNEL, messageRef!.ts);
    const next = await notifier.publish({ kind: 'deployed', environment: 'staging', timeline: timeline(), messageRef });
    expect(next.messageRef?.ts).not.toBe(messageRef!.ts);
    expect(fake.messages(CHANNEL).map((m) => m.ts)).toEqual([next.messageRef!.ts]);
    expect(fake.thread(CHANNEL, next.messageRef!.ts)).toHaveLength(1);
  });

  it('a thread reply lost after the first post fails the call; the retry reuses the message and replies once', async () => {
    const notifier = createSlackNotifier({ ...options, maxAttempts: 1 });
    // Once the top-level message exists, the thread reply's answer is lost after Slack posted it.
    const stop = fake.subscribe((e) => {
      if (e.type === 'posted' && !e.message.thread_ts)
        fake.inject({ kind: 'status', status: 500, after: true }, 'chat.postMessage', 1);
    });
    const n = { kind: 'started' as const, timeline: timeline(), detail: 'hello' };
    expect(await caught(notifier.publish(n))).toBeInstanceOf(SlackCallError);
    stop();
    const { messageRef } = await notifier.publish(n); // the activity's retry
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.thread(CHANNEL, messageRef!.ts)).toHaveLength(1);
  });

  it('a first attempt reads nothing; the retry after a lost reply looks and finds the earlier copy', async () => {
    const notifier = createSlackNotifier({ ...options, maxAttempts: 1 });
    fake.inject({ kind: 'status', status: 500, after: true }, 'chat.postMessage', 1);
    const n = { kind: 'started' as const, timeline: timeline(), detail: 'hello' };
    // First try: no conversations.history / replies read (Tier 3 budget), the post's answer is lost.
    expect(await caught(notifier.publish(n, { lookFirst: false }))).toBeInstanceOf(SlackCallError);
    expect(fake.calls('conversations.history')).toHaveLength(0);
    expect(fake.calls('conversations.replies')).toHaveLength(0);
    // The retry (the activity knows it is one) looks first and reuses the message Slack did post.
    const { messageRef } = await notifier.publish(n, { lookFirst: true });
    expect(fake.calls('conversations.history')).toHaveLength(1);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.thread(CHANNEL, messageRef!.ts)).toHaveLength(1);
  });

  it('posts to one channel are paced about a second apart', async () => {
    const notifier = createSlackNotifier(options);
    const started = Date.now();
    await Promise.all(
      [1, 2, 3].map((i) =>
        notifier.publish(
          { kind: 'started', timeline: timeline({ releaseId: `release/svc/${i}` }) },
          { lookFirst: false },
        ),
      ),
    );
    const at = fake.calls('chat.postMessage').map((c) => c.at);
    expect(at).toHaveLength(3);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(1_900);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('updateOnly brings the message up to date without a thread reply', async () => {
    const notifier = createSlackNotifier(options);
    const { messageRef } = await notifier.publish({ kind: 'started', timeline: timeline() });
    await notifier.publish({
      kind: 'ended',
      timeline: timeline({ status: 'expired' }),
      messageRef,
      updateOnly: true,
    });
    expect(fake.message(CHANNEL, messageRef!.ts)?.text).toContain('approval expired');
    expect(fake.thread(CHANNEL, messageRef!.ts)).toHaveLength(0);
  });
});

describe('Slack retries and errors', () => {
  it('a 429 on a post is not re-sent in-process: it reports Retry-After for the activity retry', async () => {
    fake.rateLimit('chat.postMessage', 7);
    const err = await caught(createSlackNotifier(options).publish({ kind: 'started', timeline: timeline() }));
    expect(err).toMatchObject({ name: 'SlackCallError', code: 'rate_limited', attempts: 1, retryAfterMs: 7_000 });
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
    await createSlackNotifier(options).publish({ kind: 'started', timeline: timeline() });
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('waits out a 429 on an idempotent call (chat.update) and retries it', async () => {
    const api = createSlackApi(options);
    const { ts } = await api.postMessage({ channel: CHANNEL, text: 'hi' });
    fake.rateLimit('chat.update', 1);
    const started = Date.now();
    await api.updateMessage(CHANNEL, ts, [], 'edited');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.calls('chat.update')).toHaveLength(2);
  });

  it('caps the Retry-After wait', async () => {
    fake.rateLimit('chat.update', 120);
    const api = createSlackApi({ ...options, retryAfterCapMs: 20 });
    const { ts } = await api.postMessage({ channel: CHANNEL, text: 'hi' });
    const started = Date.now();
    await api.updateMessage(CHANNEL, ts, [], 'edited');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(fake.message(CHANNEL, ts)?.text).toBe('edited');
  });

  it('gives up on persistent 429s and reports how long Slack asked to wait', async () => {
    const api = createSlackApi({ ...options, retryAfterCapMs: 10 });
    const { ts } = await api.postMessage({ channel: CHANNEL, text: 'x' });
    fake.rateLimit('chat.update', 120, 5);
    const err = await caught(api.updateMessage(CHANNEL, ts, [], 'y'));
    expect(err).toMatchObject({ name: 'SlackCallError', code: 'rate_limited', attempts: 3, retryAfterMs: 120_000 });
  });

  it('persistent 5xx: idempotent calls throw after maxAttempts, posts after one', async () => {
    fake.inject({ kind: 'status', status: 503, body: 'upstream down' }, 'conversations.history', 10);
    const err = await caught(createSlackNotifier(options).publish({ kind: 'started', timeline: timeline() }));
    expect(err).toBeInstanceOf(SlackCallError);
    expect(err).not.toBeInstanceOf(PermanentSlackError);
    expect((err as SlackCallError).code).toBe('http_503');
    expect((err as SlackCallError).attempts).toBe(3);
    expect(fake.calls('conversations.history')).toHaveLength(3);
    expect(fake.calls('chat.postMessage')).toHaveLength(0);
    expect(errorText(err)).not.toContain(TOKEN);

    fake.http.clearFaults();
    fake.inject({ kind: 'status', status: 503, body: 'upstream down' }, 'chat.postMessage', 10);
    const post = await caught(createSlackApi(options).postMessage({ channel: CHANNEL, text: 'x' }));
    expect((post as SlackCallError).attempts).toBe(1);
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
  });

  it('retries Slack-side ok:false hiccups but not other ok:false errors', async () => {
    const api = createSlackApi(options);
    const { ts } = await api.postMessage({ channel: CHANNEL, text: 'x' });
    fake.failWith('chat.update', 'internal_error', 1);
    await api.updateMessage(CHANNEL, ts, [], 'y');
    expect(fake.calls('chat.update')).toHaveLength(2);

    fake.failWith('chat.update', 'msg_too_long', 5);
    const err = await caught(api.updateMessage(CHANNEL, ts, [], 'z'));
    expect((err as SlackCallError).code).toBe('msg_too_long');
    expect(fake.calls('chat.update')).toHaveLength(3);
  });

  it('channel_not_found is permanent: PermanentSlackError, no retry', async () => {
    const err = await caught(
      createSlackNotifier(options).publish({ kind: 'started', channel: 'C0NOPE', timeline: timeline() }),
    );
    expect((err as Error).name).toBe('PermanentSlackError');
    expect((err as SlackCallError).code).toBe('channel_not_found');
    expect(fake.calls()).toHaveLength(1);
  });

  it('not_in_channel is permanent', async () => {
    const err = await caught(createSlackApi(options).postMessage({ channel: 'C0OUTSIDE', text: 'x' }));
    expect(err).toBeInstanceOf(PermanentSlackError);
    expect((err as SlackCallError).code).toBe('not_in_channel');
  });

  it('a bad token fails permanently and is never in the error', async () => {
    const token = 'xoxb-9999-wrong-token-value';
    const err = await caught(
      createSlackNotifier({ ...options, token }).publish({ kind: 'started', timeline: timeline() }),
    );
    expect(err).toBeInstanceOf(PermanentSlackError);
    expect((err as SlackCallError).code).toBe('invalid_auth');
    expect(errorText(err)).not.toContain(token);
    expect(fake.calls()).toHaveLength(1);
  });

  it('network failures are retried, then thrown without the token', async () => {
    const url = fake.apiUrl;
    await fake.close();
    const err = await caught(createSlackApi({ ...options, apiUrl: url, maxAttempts: 2 }).authTest());
    expect((err as SlackCallError).code).toBe('request_failed');
    expect((err as SlackCallError).attempts).toBe(2);
    expect(errorText(err)).not.toContain(TOKEN);
  });

  it('a missing channel is a permanent error before any call', async () => {
    const err = await caught(
      createSlackNotifier({ ...options, defaultChannel: undefined }).publish({ kind: 'started', timeline: timeline() }),
    );
    expect(err).toBeInstanceOf(PermanentSlackError);
    expect(fake.calls()).toHaveLength(0);
  });
});

describe('SlackApi helpers', () => {
  it('postEphemeral and updateMessage', async () => {
    const api = createSlackApi(options);
    expect(await api.authTest()).toEqual({ userId: 'U0RUNWAY', botId: 'B0RUNWAY', teamId: 'T0FAKE' });
    const { messageTs } = await api.postEphemeral(CHANNEL, 'U0MALLORY', 'You are not an approver for production.');
    expect(fake.ephemerals()).toEqual([
      { channel: CHANNEL, user: 'U0MALLORY', text: 'You are not an approver for production.', message_ts: messageTs },
    ]);
    const ref = await api.postMessage({ channel: CHANNEL, text: 'approve?' });
    const blocks = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'Approved by <@U0ALICE>' } }];
    expect(await api.updateMessage(CHANNEL, ref.ts, blocks, 'approved')).toEqual(ref);
    expect(fake.message(CHANNEL, ref.ts)).toMatchObject({ text: 'approved', blocks });
  });
});

describe('Slack fake', () => {
  async function post(method: string, init: { body: string; contentType: string; token?: string }) {
    const res = await fetch(`${fake.apiUrl}${method}`, {
      method: 'POST',
      headers: { 'Content-Type': init.contentType, ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
      body: init.body,
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it('accepts JSON bodies as well as forms, and checks the token', async () => {
    const json = { contentType: 'application/json; charset=utf-8', token: TOKEN };
    const posted = await post('chat.postMessage', {
      ...json,
      body: JSON.stringify({ channel: CHANNEL, text: 'a', blocks: [{ type: 'divider' }] }),
    });
    expect(posted).toMatchObject({
      ok: true,
      channel: CHANNEL,
      ts: '1700000000.000100',
      message: { text: 'a', blocks: [{ type: 'divider' }] },
    });
    const updated = await post('chat.update', {
      ...json,
      body: JSON.stringify({ channel: CHANNEL, ts: posted.ts, text: 'b' }),
    });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'b' });
    expect(
      await post('chat.update', { ...json, body: JSON.stringify({ channel: CHANNEL, ts: '1.2', text: 'b' }) }),
    ).toEqual({
      ok: false,
      error: 'message_not_found',
    });

    const form = 'application/x-www-form-urlencoded';
    expect(await post('chat.postMessage', { contentType: form, body: `channel=${CHANNEL}&text=x` })).toEqual({
      ok: false,
      error: 'not_authed',
    });
    expect(
      await post('chat.postMessage', { contentType: form, body: `channel=${CHANNEL}&text=x`, token: 'xoxb-nope' }),
    ).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    // Form bodies may carry the token as a field.
    expect(
      await post('chat.postMessage', { contentType: form, body: `token=${TOKEN}&channel=${CHANNEL}&text=x` }),
    ).toMatchObject({ ok: true });
    expect(await post('chat.postMessage', { contentType: form, body: `channel=${CHANNEL}`, token: TOKEN })).toEqual({
      ok: false,
      error: 'no_text',
    });
    expect(await post('chat.nope', { contentType: form, body: '', token: TOKEN })).toEqual({
      ok: false,
      error: 'unknown_method',
    });
  });

  it('rejects blocks Slack would reject', async () => {
    const blocks = JSON.stringify([{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }]);
    const res = await post('chat.postMessage', {
      contentType: 'application/x-www-form-urlencoded',
      token: TOKEN,
      body: new URLSearchParams({ channel: CHANNEL, blocks }).toString(),
    });
    expect(res).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('threads replies under their parent and hands out increasing ts', async () => {
    const api = createSlackApi(options);
    const parent = await api.postMessage({ channel: CHANNEL, text: 'parent' });
    const r1 = await api.postMessage({ channel: CHANNEL, text: 'r1', threadTs: parent.ts });
    const r2 = await api.postMessage({ channel: CHANNEL, text: 'r2', threadTs: r1.ts });
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['parent']);
    expect(fake.thread(CHANNEL, parent.ts).map((m) => [m.text, m.thread_ts])).toEqual([
      ['r1', parent.ts],
      ['r2', parent.ts],
    ]);
    expect(fake.message(CHANNEL, parent.ts)?.reply_count).toBe(2);
    expect([parent.ts, r1.ts, r2.ts]).toEqual(['1700000000.000100', '1700000000.000200', '1700000000.000300']);
  });
});
