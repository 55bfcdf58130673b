// The Slack fake enforces Slack's published rate limits (429 + Retry-After per tier and per channel for posts),
// and Runway's client stays inside them: it paces posts per channel and Tier 3 calls per workspace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../integrations/slack.js';
import { SlackPacer } from '../../integrations/slack-pacing.js';
import { SlackFake } from '../../fakes/slack.js';
import { peakPerMinute } from '../../fakes/slack-rate-limits.js';
import type { ReleaseTimeline } from '../../domain/types.js';

const TOKEN = 'xoxb-rate-limit-test';
const CHANNEL = 'C0RATES';
let fake: SlackFake;

beforeEach(async () => {
  fake = new SlackFake({ tokens: [TOKEN], channels: [{ id: CHANNEL, name: 'releases' }], rateLimits: true });
  await fake.listen();
});
afterEach(() => fake.close());

const raw = (method: string, body: Record<string, unknown>) =>
  fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

function timeline(releaseId: string): ReleaseTimeline {
  return {
    releaseId,
    service: 'payments',
    commit: '0123456789abcdef0123456789abcdef01234567',
    status: 'running',
    stage: 'image',
    stages: [],
    links: {},
    warnings: [],
  } as unknown as ReleaseTimeline;
}

describe('Slack fake rate limits', () => {
  it('chat.postMessage: a short burst per channel, then 429 with Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await raw('chat.postMessage', { channel: CHANNEL, text: `m${i}` }));
    expect(answers.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answers[3]!.status).toBe(429);
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await answers[3]!.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(fake.messages(CHANNEL)).toHaveLength(3);
  });

  it('Tier 3 (conversations.history): 50 a minute per workspace, the 51st is refused', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await raw('conversations.history', { channel: CHANNEL })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.at(-1)).toBe(429);
    expect(fake.rateLimited.get('conversations.history')).toBe(1);
  });

  it("Runway's notifier stays inside: paced posts draw no 429", async () => {
    const notifier = createSlackNotifier({ token: TOKEN, apiUrl: fake.apiUrl, defaultChannel: CHANNEL });
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        notifier.publish({ kind: 'started', timeline: timeline(`r${i}`) }, { lookFirst: false }),
      ),
    );
    expect(fake.messages(CHANNEL)).toHaveLength(5);
    expect(fake.rateLimited.size).toBe(0);
  });

  it('a 429 pauses the method (or the channel, for posts) for every caller in the process', async () => {
    const pacer = new SlackPacer();
    pacer.pause('chat.update', 300);
    pacer.pause('chat.postMessage', 300, CHANNEL);
    const started = Date.now();
    await pacer.turn('conversations.info'); // another method: not paused
    expect(Date.now() - started).toBeLessThan(100);
    await pacer.turn('chat.postMessage', 'C0OTHER'); // another channel: not paused
    expect(Date.now() - started).toBeLessThan(100);
    await Promise.all([pacer.turn('chat.update'), pacer.turn('chat.postMessage', CHANNEL)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('peakPerMinute counts the most calls of a method in any 60 s window', () => {
    const calls = [0, 10_000, 59_999, 60_000, 130_000].map((at) => ({ method: 'chat.update', at }));
    expect(peakPerMinute(calls).get('chat.update')).toBe(3);
  });
});
