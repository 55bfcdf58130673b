// Hostile and mistaken requests, over HTTP, against the real API on a real Temporal: every one gets the right 4xx
// (or the webhook's documented 202 "ignored"), fast, with nothing started, decided or cancelled, no Slack call,
// and nothing logged at error level (a client's mistake is not Runway's fault).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createSlackRoutes } from '../../api/slack/routes.js';
import { SlackFake, DEFAULT_FAKE_SLACK_TOKEN } from '../../fakes/slack.js';
import { createApiHarness, TOKENS, WEBHOOK_SECRET, type ApiHarness } from '../support/api-harness.js';
import { hostileCases, sendHostile } from '../support/hostile-requests.js';
import { waitFor } from '../support/harness.js';

const SIGNING_SECRET = 'hostile-signing-secret';
const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);

let a: ApiHarness;
let slack: SlackFake;
const logs: { level: number; msg: string }[] = [];
let ended: string;
let lockId: string;

beforeAll(async () => {
  slack = new SlackFake({ tokens: [DEFAULT_FAKE_SLACK_TOKEN], channels: [{ id: 'C0PROD', name: 'prod' }] });
  await slack.listen();
  a = await createApiHarness(async (ctx) => {
    // Every line the API logs, to prove client mistakes never log at error level.
    ctx.logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const config = {
      ...ctx.config,
      slack: { botToken: DEFAULT_FAKE_SLACK_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
    };
    return { slack: await createSlackRoutes({ ...ctx, config }) };
  });
  // A release that has ended (rejected), for the "already ended" answers, and the lock workflow it created.
  const sha = hex(40);
  a.h.world.registry.publish({ repository: `registry.example.com/acme/${a.service}`, tag: sha });
  const started = await rest('POST', '/api/releases', TOKENS.deployer, { service: a.service, sha });
  ended = started.body.releaseId as string;
  await waitFor(async () =>
    (await rest('GET', path(ended), TOKENS.reader)).body.status === 'awaiting_approval' ? true : undefined,
  );
  await rest('POST', `${path(ended)}/reject`, TOKENS.approver, { environment: 'production' });
  await a.h.client.workflow
    .getHandle(ended)
    .result()
    .catch(() => undefined);
  lockId = `service-lock/${a.service}`;
}, 60_000);
afterAll(async () => {
  await a?.close();
  await slack?.close();
});

const path = (id: string) => `/api/releases/${encodeURIComponent(id)}`;

async function rest(method: string, p: string, token?: string, body?: unknown) {
  const res = await fetch(`${a.server.url}${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const target = () => ({
  service: a.service,
  tokens: TOKENS,
  webhookSecret: WEBHOOK_SECRET,
  signingSecret: SIGNING_SECRET,
  endedReleaseId: ended,
  lockId,
});

const count = async (query: string) => (await a.h.client.workflow.count(query)).count;

describe('hostile and mistaken requests', () => {
  it('every one gets the right 4xx (or 202 ignored), fast, with no side effect', async () => {
    const table = hostileCases(target());
    expect(table.length).toBeGreaterThanOrEqual(60);
    const ofService = `RunwayService = "${a.service}"`;
    const before = { releases: await count(ofService), lockRunning: await lockState() };
    const slackCalls = slack.calls().filter((c) => c.method !== 'chat.postEphemeral').length;
    const failures: string[] = [];
    for (const c of table) {
      const res = await sendHostile(a.server.url, c);
      const reason =
        String(res.body.error?.code ?? '') +
        ' ' +
        String(res.body.error?.message ?? '') +
        String(res.body.ignored ?? '');
      if (res.status !== c.status)
        failures.push(`${c.name}: ${res.status} (want ${c.status}) ${JSON.stringify(res.body).slice(0, 200)}`);
      else if (c.expect && !reason.includes(c.expect)) failures.push(`${c.name}: "${reason}" lacks "${c.expect}"`);
      if (res.ms > 2_000) failures.push(`${c.name}: took ${Math.round(res.ms)} ms`);
      const releases = await count(ofService);
      if (releases !== before.releases)
        failures.push(`${c.name}: started a workflow (${before.releases} → ${releases})`);
    }
    expect(failures).toEqual([]);
    // Nothing later either: no release, the lock untouched, no Slack post or edit, the ended release unchanged.
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(ofService)).toBe(before.releases);
    expect(await lockState()).toBe(before.lockRunning);
    expect(slack.calls().filter((c) => c.method !== 'chat.postEphemeral')).toHaveLength(slackCalls);
    expect((await rest('GET', path(ended), TOKENS.reader)).body.status).toBe('rejected');
    // The Slack button naming the lock was answered privately, and decided nothing.
    await waitFor(() => slack.ephemerals().find((e) => e.text.includes('names no Runway release')));
    // Client mistakes are info/warn; none was logged as an error.
    expect(logs.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
    expect(logs.some((l) => l.level === 30 && l.msg === 'request refused')).toBe(true);
  }, 120_000);
});

describe('bodies without Content-Length (chunked)', () => {
  it('are cut off at the limit while read: 413, before the signature or token is looked at', async () => {
    const chunked = (bytes: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const chunk = new Uint8Array(64 * 1024).fill(0x61);
          for (let sent = 0; sent < bytes; sent += chunk.length) controller.enqueue(chunk);
          controller.close();
        },
      });
    for (const [route, headers, bytes] of [
      ['/slack/interactions', { 'content-type': 'application/x-www-form-urlencoded' }, 3 * 1024 * 1024],
      ['/webhooks/gitlab', { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_SECRET }, 3 * 1024 * 1024],
      ['/api/releases', { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.deployer}` }, 512 * 1024],
    ] as const) {
      const res = await fetch(`${a.server.url}${route}`, {
        method: 'POST',
        headers,
        body: chunked(bytes),
        duplex: 'half',
        signal: AbortSignal.timeout(5_000),
      });
      expect({ route, status: res.status }).toEqual({ route, status: 413 });
    }
  });
});

/** The lock workflow's Temporal status, or "none". */
async function lockState(): Promise<string> {
  try {
    return (await a.h.client.workflow.getHandle(lockId).describe()).status.name;
  } catch {
    return 'none';
  }
}
