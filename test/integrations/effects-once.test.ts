// Exactly-once visible effects: for every write Runway makes to GitLab and Slack, the fake performs the write and
// then loses the reply (5xx after the write), or throttles with Retry-After; the retry — as Temporal would run
// it, since no client re-sends writes by itself — must leave exactly one deployment, note, message or reply.
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitLabClient } from '../../integrations/gitlab.js';
import { createSlackNotifier, RELEASE_MESSAGE_EVENT } from '../../integrations/slack.js';
import { toFailure } from '../../activities/failures.js';
import type { GitLabPort, ReleaseNotification } from '../../activities/ports.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import { FAKE_GITLAB_TOKEN, FakeGitLab } from '../../fakes/gitlab.js';
import { SlackFake } from '../../fakes/slack.js';

const PROJECT = 'acme/payments';
const SHA = 'bcbb5ec396a2c0f828686f14fac9b80b780504f2';
const CHANNEL = 'C0RELEASES';
const APPROVALS = 'C0APPROVALS';
const TOKEN = 'xoxb-1-2-effects';

/** Runs `attempt` until it succeeds, at most `max` times: a stand-in for the activity retry policy. */
async function retried<T>(attempt: () => Promise<T>, max = 4): Promise<{ value: T; failures: unknown[] }> {
  const failures: unknown[] = [];
  for (;;) {
    try {
      return { value: await attempt(), failures };
    } catch (err) {
      failures.push(err);
      if (failures.length >= max) throw err;
    }
  }
}

describe('GitLab writes', () => {
  let fake: FakeGitLab;
  let gitlab: GitLabPort;
  const deployment = { projectId: PROJECT, environment: 'production', sha: SHA, ref: 'main' };

  beforeEach(async () => {
    fake = new FakeGitLab();
    await fake.listen();
    fake.addProject({ path: PROJECT });
    fake.addMergeRequest(PROJECT, 7);
    gitlab = createGitLabClient({ url: fake.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 });
  });
  afterEach(() => fake.close());

  it.each([502, 500, 503])('a deployment created and then answered %i exists once after the retry', async (status) => {
    fake.inject(
      { kind: 'status', status, body: { message: 'bad gateway' }, after: true },
      {
        method: 'POST',
        path: /\/deployments$/,
      },
    );
    const { value, failures } = await retried(() => gitlab.ensureDeployment(deployment));
    expect(failures).toHaveLength(1);
    expect(fake.http.lostReplies).toHaveLength(1);
    const ours = fake.deployments(PROJECT).filter((d) => d.sha === SHA && d.environment === 'production');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.id).toBe(value.id);
    // gitbeaker's own 429/502 loop is gone: one POST in all.
    expect(fake.http.received('POST', /\/deployments$/)).toHaveLength(1);
  });

  it('a 429 after the deployment was created: one deployment, and Retry-After reaches Temporal', async () => {
    fake.inject(
      { kind: 'rateLimit', retryAfterSeconds: 42, body: 'Retry later\n', after: true },
      {
        method: 'POST',
        path: /\/deployments$/,
      },
    );
    const { failures } = await retried(() => gitlab.ensureDeployment(deployment));
    const failure = toFailure(failures[0]);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nextRetryDelay).toBe(42_000);
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
    expect(fake.deployments(PROJECT).filter((d) => d.sha === SHA)).toHaveLength(1);
  });

  it("does not mistake a CI job's running deployment of the same sha for its own", async () => {
    fake.addDeployment(PROJECT, { environment: 'production', sha: SHA, createdByCi: true });
    await gitlab.ensureDeployment(deployment);
    expect(fake.deployments(PROJECT).filter((d) => !d.createdByCi)).toHaveLength(1);
  });

  it('a deployment update answered 502 after it landed is done on the retry', async () => {
    const { id } = await gitlab.ensureDeployment(deployment);
    fake.inject({ kind: 'status', status: 502, after: true }, { method: 'PUT', path: /\/deployments\/\d+$/ });
    await retried(() => gitlab.updateDeployment(PROJECT, id, 'success'));
    expect(fake.deployments(PROJECT).find((d) => d.id === id)?.status).toBe('success');
  });

  it.each([
    { kind: 'status' as const, status: 502 },
    { kind: 'rateLimit' as const, retryAfterSeconds: 1, body: 'Retry later\n' },
  ])('an MR note created and then answered $kind $status exists once', async (fault) => {
    fake.inject({ ...fault, after: true }, { method: 'POST', path: /\/notes$/ });
    const note = { projectId: PROJECT, mrIid: 7, marker: '<!-- runway:rel-1 -->', body: 'Deployed' };
    const { value, failures } = await retried(() => gitlab.upsertMergeRequestNote(note));
    expect(failures).toHaveLength(1);
    expect(fake.notes(PROJECT, 7)).toHaveLength(1);
    expect(fake.notes(PROJECT, 7)[0]!.id).toBe(value.noteId);
  });
});

describe('Slack writes', () => {
  let fake: SlackFake;
  const timeline: ReleaseTimeline = {
    releaseId: 'rel-9',
    service: 'payments',
    commit: SHA,
    status: 'running',
    stage: 'image',
    stages: [],
    warnings: [],
    links: {},
  };
  const notifier = () => createSlackNotifier({ token: TOKEN, apiUrl: fake.apiUrl, maxAttempts: 1 });

  beforeEach(async () => {
    fake = new SlackFake({ tokens: [TOKEN], channels: [{ id: CHANNEL, name: 'releases' }, APPROVALS] });
    await fake.listen();
  });
  afterEach(() => fake.close());

  it.each([500, 502, 503])('the release message posted and then answered %i is posted once', async (status) => {
    fake.inject({ kind: 'status', status, body: 'upstream', after: true }, 'chat.postMessage');
    const n: ReleaseNotification = { kind: 'started', channel: CHANNEL, timeline };
    const { value, failures } = await retried(() => notifier().publish(n));
    expect(failures).toHaveLength(1);
    const messages = fake.messages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.metadata).toEqual({
      event_type: RELEASE_MESSAGE_EVENT,
      event_payload: { release_id: 'rel-9' },
    });
    expect(value.messageRef).toEqual({ channel: CHANNEL, ts: messages[0]!.ts });
  });

  it('a channel configured by name is resolved to its id to look back (conversations.list)', async () => {
    fake.inject({ kind: 'status', status: 502, after: true }, 'chat.postMessage');
    await retried(() => notifier().publish({ kind: 'started', channel: '#releases', timeline }));
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.calls('conversations.list').length).toBeGreaterThan(0);
  });

  it('a 429 after the post: one message, Retry-After handed to Temporal', async () => {
    fake.inject(
      { kind: 'rateLimit', retryAfterSeconds: 3, body: { ok: false, error: 'ratelimited' }, after: true },
      'chat.postMessage',
    );
    const { failures } = await retried(() => notifier().publish({ kind: 'started', channel: CHANNEL, timeline }));
    expect((toFailure(failures[0]) as ApplicationFailure).nextRetryDelay).toBe(3_000);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('a thread reply posted and then answered 503 is posted once', async () => {
    const { messageRef } = await notifier().publish({ kind: 'started', channel: CHANNEL, timeline });
    fake.inject({ kind: 'status', status: 503, after: true }, 'chat.postMessage');
    const n: ReleaseNotification = { kind: 'deployed', environment: 'staging', channel: CHANNEL, timeline, messageRef };
    await retried(() => notifier().publish(n));
    expect(fake.thread(CHANNEL, messageRef!.ts)).toHaveLength(1);
  });

  it('a notification run again after a worker kill (same input, attempt 1) adds nothing', async () => {
    const { messageRef } = await notifier().publish({ kind: 'started', channel: CHANNEL, timeline });
    const n: ReleaseNotification = { kind: 'deployed', environment: 'staging', channel: CHANNEL, timeline, messageRef };
    await notifier().publish(n);
    await notifier().publish(n);
    await notifier().publish({ kind: 'started', channel: CHANNEL, timeline }); // its ref was never recorded
    expect(fake.messages(CHANNEL)).toHaveLength(1);
    expect(fake.thread(CHANNEL, messageRef!.ts)).toHaveLength(1);
  });

  it("another release's message in the channel is never taken for this one's", async () => {
    await notifier().publish({ kind: 'started', channel: CHANNEL, timeline: { ...timeline, releaseId: 'rel-8' } });
    await notifier().publish({ kind: 'started', channel: CHANNEL, timeline });
    expect(fake.messages(CHANNEL)).toHaveLength(2);
  });
});

describe('fakes read back metadata as Slack does', () => {
  it('conversations.history and .replies return metadata only with include_all_metadata', async () => {
    const fake = new SlackFake({ tokens: [TOKEN], channels: [CHANNEL] });
    await fake.listen();
    try {
      const { messageRef } = await createSlackNotifier({ token: TOKEN, apiUrl: fake.apiUrl }).publish({
        kind: 'started',
        channel: CHANNEL,
        timeline: { ...timeline(), releaseId: 'rel-1' },
      });
      const call = async (method: string, args: Record<string, string>) => {
        const res = await fetch(`${fake.apiUrl}${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ channel: CHANNEL, ...args }),
        });
        return (await res.json()) as { ok: boolean; messages: { metadata?: unknown }[]; error?: string };
      };
      expect((await call('conversations.history', {})).messages[0]!.metadata).toBeUndefined();
      expect((await call('conversations.history', { include_all_metadata: 'true' })).messages[0]!.metadata).toEqual({
        event_type: RELEASE_MESSAGE_EVENT,
        event_payload: { release_id: 'rel-1' },
      });
      expect((await call('conversations.replies', { ts: messageRef!.ts })).messages).toHaveLength(1);
      expect(await call('conversations.replies', { ts: '1.000001' })).toMatchObject({
        ok: false,
        error: 'thread_not_found',
      });
      expect(await call('conversations.history', { channel: 'releases' })).toMatchObject({
        ok: false,
        error: 'channel_not_found',
      });
    } finally {
      await fake.close();
    }
  });
});

function timeline(): ReleaseTimeline {
  return {
    releaseId: 'rel-1',
    service: 'payments',
    commit: SHA,
    status: 'running',
    stage: 'image',
    stages: [],
    warnings: [],
    links: {},
  };
}
