// Hostile and mistaken requests, over HTTP, against the real API on a real Temporal: every one gets the right 4xx
// (or the webhook's documented 202 "ignored"), fast, with nothing started, decided or cancelled, no Slack call,
// and nothing logged at error level (a client's mistake is not Runway's fault).
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createSlackRoutes } from '../../api/slack/routes.js';
import { APPROVAL_BLOCK_ID, APPROVE_ACTION_ID } from '../../activities/integrations/slack-blocks.js';
import { SlackFake, DEFAULT_FAKE_SLACK_TOKEN } from '../../fakes/slack.js';
import { createApiHarness, mergeHook, TOKENS, WEBHOOK_SECRET, type ApiHarness } from '../support/api-harness.js';
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

interface Case {
  name: string;
  method?: string;
  path: string | (() => string);
  token?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  status: number;
  /** error.code, or a text the `ignored` reason must contain (202). */
  expect?: string;
}

const json = { 'content-type': 'application/json' };
const hook = (mutate: (h: Record<string, any>) => void, event = 'Merge Request Hook'): Partial<Case> => {
  const payload = mergeHook(a.service, hex(40)) as Record<string, any>;
  mutate(payload);
  return {
    method: 'POST',
    path: '/webhooks/gitlab',
    headers: { ...json, 'x-gitlab-event': event, 'x-gitlab-token': WEBHOOK_SECRET },
    body: payload,
  };
};
const withSha = (sha: string) => hook((h) => (h.object_attributes.merge_commit_sha = sha));
const withIid = (iid: unknown) => hook((h) => (h.object_attributes.iid = iid));
const start = (body: unknown, headers: Record<string, string> = json): Partial<Case> => ({
  method: 'POST',
  path: '/api/releases',
  token: TOKENS.deployer,
  headers,
  body,
});
const pipeline = (attributes: Record<string, unknown>): Partial<Case> => ({
  method: 'POST',
  path: '/webhooks/gitlab',
  headers: { ...json, 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': WEBHOOK_SECRET },
  body: {
    object_kind: 'pipeline',
    project: { id: 4242, path_with_namespace: `acme/${a.service}` },
    object_attributes: { id: 1, sha: hex(40), status: 'failed', ...attributes },
    builds: [],
  },
});

function slackSigned(body: string, secret = SIGNING_SECRET): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-signature': `v0=${sig}`,
    'x-slack-request-timestamp': String(ts),
  };
}
const buttonPress = (releaseId: string) => {
  const payload = {
    type: 'block_actions',
    user: { id: 'U_ALICE', username: 'alice', team_id: 'T0FAKE' },
    team: { id: 'T0FAKE', domain: 'fake' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0PROD', is_ephemeral: false },
    channel: { id: 'C0PROD', name: 'prod' },
    actions: [
      {
        type: 'button',
        action_id: APPROVE_ACTION_ID,
        block_id: APPROVAL_BLOCK_ID,
        value: JSON.stringify({ releaseId, environment: 'production' }),
        action_ts: '1700000001.000200',
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { method: 'POST', path: '/slack/interactions', headers: slackSigned(body), body };
};

function cases(): Case[] {
  const svc = a.service;
  const list: (Partial<Case> & { name: string; status: number })[] = [
    // --- auth
    { name: 'no token', path: '/api/releases', status: 401, expect: 'unauthorized' },
    { name: 'unknown token', path: '/api/releases', token: 'nope', status: 401, expect: 'unauthorized' },
    { name: 'empty bearer', path: '/api/releases', headers: { authorization: 'Bearer ' }, status: 401 },
    { name: 'reader starts', ...start({ service: svc, sha: hex(40) }), token: TOKENS.reader, status: 403 },
    {
      name: 'deployer approves',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.deployer,
      body: { environment: 'production' },
      status: 403,
    },
    // --- bodies Hono validates
    { name: 'not JSON', ...start('{"service":'), status: 400, expect: 'invalid_request' },
    { name: 'empty body', ...start(''), status: 400 },
    {
      name: 'form body',
      ...start('service=x&sha=y', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 400,
    },
    { name: 'text/plain body', ...start('hello', { 'content-type': 'text/plain' }), status: 400 },
    { name: 'no content-type', ...start('{}', {}), status: 400 },
    { name: 'JSON array', ...start([1, 2]), status: 400 },
    { name: 'JSON null', ...start(null), status: 400 },
    { name: 'missing sha', ...start({ service: svc }), status: 400 },
    { name: 'sha 39 hex', ...start({ service: svc, sha: hex(39) }), status: 400 },
    { name: 'sha 41 hex', ...start({ service: svc, sha: hex(41) }), status: 400 },
    { name: 'sha 7 hex', ...start({ service: svc, sha: hex(7) }), status: 400 },
    { name: 'sha path', ...start({ service: svc, sha: '../../etc/passwd' }), status: 400 },
    { name: 'sha shell', ...start({ service: svc, sha: '$(id)' }), status: 400 },
    { name: 'sha newline', ...start({ service: svc, sha: `${hex(39)}\n` }), status: 400 },
    { name: 'sha non-hex', ...start({ service: svc, sha: 'g'.repeat(40) }), status: 400 },
    { name: 'sha number', ...start({ service: svc, sha: 1e300 }), status: 400 },
    { name: 'service __proto__', ...start({ service: '__proto__', sha: hex(40) }), status: 404 },
    { name: 'service constructor', ...start({ service: 'constructor', sha: hex(40) }), status: 404 },
    { name: 'service toString', ...start({ service: 'toString', sha: hex(40) }), status: 404 },
    { name: 'service hasOwnProperty', ...start({ service: 'hasOwnProperty', sha: hex(40) }), status: 404 },
    { name: 'unknown service', ...start({ service: 'nope', sha: hex(40) }), status: 404 },
    { name: 'service number', ...start({ service: 42, sha: hex(40) }), status: 400 },
    { name: 'service too long', ...start({ service: 'a'.repeat(5000), sha: hex(40) }), status: 400 },
    { name: 'ref with spaces', ...start({ service: svc, sha: hex(40), ref: 'main; rm -rf' }), status: 400 },
    { name: 'ref empty', ...start({ service: svc, sha: hex(40), ref: '' }), status: 400 },
    { name: 'body over the limit', ...start({ service: svc, sha: hex(40), pad: 'x'.repeat(70_000) }), status: 413 },
    // --- listing
    { name: 'pageToken AAAA', path: '/api/releases?pageToken=AAAA', token: TOKENS.reader, status: 400 },
    {
      name: 'forged pageToken',
      path: '/api/releases?pageToken=AAAA.BBBBBBBBBBBBBBBBBBBBBB',
      token: TOKENS.reader,
      status: 400,
    },
    { name: 'pageToken junk', path: '/api/releases?pageToken=%00%01', token: TOKENS.reader, status: 400 },
    { name: 'pageSize 0', path: '/api/releases?pageSize=0', token: TOKENS.reader, status: 400 },
    { name: 'pageSize 1e300', path: '/api/releases?pageSize=1e300', token: TOKENS.reader, status: 400 },
    { name: 'pageSize -1', path: '/api/releases?pageSize=-1', token: TOKENS.reader, status: 400 },
    { name: 'pageSize abc', path: '/api/releases?pageSize=abc', token: TOKENS.reader, status: 400 },
    { name: 'status bogus', path: '/api/releases?status=bogus', token: TOKENS.reader, status: 400 },
    {
      name: 'service filter too long',
      path: `/api/releases?service=${'a'.repeat(300)}`,
      token: TOKENS.reader,
      status: 400,
    },
    { name: 'service filter __proto__', path: '/api/releases?service=__proto__', token: TOKENS.reader, status: 200 },
    // --- release ids
    { name: 'lock id', path: '/api/releases/service-lock%2Fhello', token: TOKENS.reader, status: 404 },
    { name: 'our lock id', path: () => path(lockId), token: TOKENS.reader, status: 404 },
    { name: 'release of __proto__', path: path(`release/__proto__/${hex(40)}`), token: TOKENS.reader, status: 404 },
    { name: 'release short sha', path: path(`release/${svc}/abc1234`), token: TOKENS.reader, status: 404 },
    { name: 'release unknown sha', path: path(`release/${svc}/${hex(40)}`), token: TOKENS.reader, status: 404 },
    { name: 'id too long', path: path('x'.repeat(400)), token: TOKENS.reader, status: 400 },
    { name: 'id with NUL', path: '/api/releases/%00', token: TOKENS.reader, status: 404 },
    { name: 'rollback id traversal', path: path(`rollback/${svc}/staging/../../x`), token: TOKENS.reader, status: 404 },
    // --- actions on what is not a release, or has ended
    {
      name: 'cancel the lock',
      method: 'POST',
      path: () => `${path(lockId)}/cancel`,
      token: TOKENS.deployer,
      status: 404,
    },
    {
      name: 'approve the lock',
      method: 'POST',
      path: () => `${path(lockId)}/approve`,
      token: TOKENS.approver,
      body: { environment: 'production' },
      status: 404,
    },
    {
      name: 'approve unknown release',
      method: 'POST',
      path: path(`release/${svc}/${hex(40)}`) + '/approve',
      token: TOKENS.approver,
      body: { environment: 'production' },
      status: 404,
    },
    {
      name: 'approve ended release',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.approver,
      body: { environment: 'production' },
      status: 409,
      expect: 'already_ended',
    },
    {
      name: 'reject ended release',
      method: 'POST',
      path: () => `${path(ended)}/reject`,
      token: TOKENS.approver,
      body: { environment: 'production' },
      status: 409,
      expect: 'already_ended',
    },
    {
      name: 'cancel ended release',
      method: 'POST',
      path: () => `${path(ended)}/cancel`,
      token: TOKENS.deployer,
      status: 409,
    },
    {
      name: 'approve without environment',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.approver,
      body: {},
      status: 400,
    },
    {
      name: 'approve with numeric environment',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.approver,
      body: { environment: 7 },
      status: 400,
    },
    {
      name: 'approve with a long comment',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.approver,
      body: { environment: 'production', comment: 'x'.repeat(501) },
      status: 400,
    },
    {
      name: 'approve with a text body',
      method: 'POST',
      path: () => `${path(ended)}/approve`,
      token: TOKENS.approver,
      headers: { 'content-type': 'text/plain' },
      body: 'approve',
      status: 400,
    },
    // --- rollback
    {
      name: 'rollback __proto__',
      method: 'POST',
      path: '/api/services/__proto__/environments/staging/rollback',
      token: TOKENS.deployer,
      status: 404,
    },
    {
      name: 'rollback env __proto__',
      method: 'POST',
      path: `/api/services/${svc}/environments/__proto__/rollback`,
      token: TOKENS.deployer,
      status: 404,
    },
    {
      name: 'rollback env toString',
      method: 'POST',
      path: `/api/services/${svc}/environments/toString/rollback`,
      token: TOKENS.deployer,
      status: 404,
    },
    {
      name: 'rollback production by a non-deployer',
      method: 'POST',
      path: `/api/services/${svc}/environments/production/rollback`,
      token: TOKENS.deployer,
      status: 403,
    },
    {
      name: 'rollback by a reader',
      method: 'POST',
      path: `/api/services/${svc}/environments/staging/rollback`,
      token: TOKENS.reader,
      status: 403,
    },
    {
      name: 'rollback long names',
      method: 'POST',
      path: `/api/services/${'a'.repeat(100)}/environments/staging/rollback`,
      token: TOKENS.deployer,
      status: 400,
    },
    // --- other routes
    { name: 'dora __proto__', path: '/api/metrics/dora?service=__proto__', token: TOKENS.reader, status: 404 },
    { name: 'dora window', path: '/api/metrics/dora?window=1e300d', token: TOKENS.reader, status: 400 },
    { name: 'unknown route', path: '/api/nope', status: 404 },
    { name: 'wrong method', method: 'DELETE', path: '/api/releases', token: TOKENS.deployer, status: 404 },
    // --- webhooks
    {
      name: 'hook without token',
      ...hook(() => undefined),
      headers: { ...json, 'x-gitlab-event': 'Merge Request Hook' },
      status: 401,
      expect: 'missing',
    },
    {
      name: 'hook with wrong token',
      ...hook(() => undefined),
      headers: { ...json, 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': 'x' },
      status: 401,
      expect: 'wrong',
    },
    { name: 'hook iid 1e300', ...withIid(1e300), status: 202, expect: 'object_attributes.iid' },
    { name: 'hook iid -1', ...withIid(-1), status: 202, expect: 'object_attributes.iid' },
    { name: 'hook iid 0', ...withIid(0), status: 202, expect: 'object_attributes.iid' },
    { name: 'hook iid 1.5', ...withIid(1.5), status: 202, expect: 'object_attributes.iid' },
    { name: 'hook iid string', ...withIid('7'), status: 202, expect: 'object_attributes.iid' },
    { name: 'hook sha path', ...withSha('../../etc'), status: 202, expect: 'merge_commit_sha' },
    { name: 'hook sha shell', ...withSha('$(id)'), status: 202, expect: 'merge_commit_sha' },
    { name: 'hook sha 39', ...withSha(hex(39)), status: 202, expect: 'merge_commit_sha' },
    { name: 'hook sha 41', ...withSha(hex(41)), status: 202, expect: 'merge_commit_sha' },
    { name: 'hook sha newline', ...withSha(`${hex(40)}\n`), status: 202, expect: 'merge_commit_sha' },
    {
      name: 'hook sha upper-case',
      ...withSha(
        hex(40)
          .toUpperCase()
          .replace(/^[0-9]/, 'A'),
      ),
      status: 202,
      expect: 'merge_commit_sha',
    },
    { name: 'hook project id -1', ...hook((h) => (h.project.id = -1)), status: 202, expect: 'project.id' },
    {
      name: 'hook project __proto__',
      ...hook((h) => (h.project.path_with_namespace = '__proto__')),
      status: 202,
      expect: 'no service',
    },
    {
      name: 'hook empty branch',
      ...hook((h) => (h.object_attributes.target_branch = '')),
      status: 202,
      expect: 'target_branch',
    },
    { name: 'hook array body', ...hook(() => undefined), body: [1], status: 202, expect: 'unusable' },
    {
      name: 'hook no event',
      ...hook(() => undefined),
      headers: { ...json, 'x-gitlab-token': WEBHOOK_SECRET },
      status: 202,
      expect: 'not handled',
    },
    {
      name: 'hook invalid JSON',
      ...hook(() => undefined),
      body: '{"object_kind":',
      status: 400,
      expect: 'invalid_json',
    },
    {
      name: 'hook over the limit',
      ...hook(() => undefined),
      body: `{"x":"${'a'.repeat(1024 * 1024 + 10)}"}`,
      status: 413,
    },
    { name: 'pipeline bad sha', ...pipeline({ sha: '$(id)' }), status: 202, expect: 'sha' },
    { name: 'pipeline id -5', ...pipeline({ id: -5 }), status: 202, expect: 'object_attributes.id' },
    // --- Slack
    {
      name: 'slack unsigned',
      method: 'POST',
      path: '/slack/interactions',
      body: 'payload=%7B%7D',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 401,
    },
    {
      name: 'slack forged',
      method: 'POST',
      path: '/slack/commands',
      body: 'command=%2Frunway&text=help',
      headers: slackSigned('command=%2Frunway&text=help', 'wrong'),
      status: 401,
    },
    {
      name: 'slack huge unsigned',
      method: 'POST',
      path: '/slack/interactions',
      body: 'x'.repeat(2 * 1024 * 1024),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 413,
    },
    {
      name: 'slack signed garbage',
      method: 'POST',
      path: '/slack/interactions',
      body: 'payload=%7Bnope',
      headers: slackSigned('payload=%7Bnope'),
      status: 400,
    },
    { name: 'slack button naming the lock', ...buttonPress(`service-lock/${svc}`), status: 200 },
  ];
  return list.map((c) => ({ method: 'GET', ...c }) as Case);
}

async function send(c: Case): Promise<{ status: number; body: Record<string, any>; ms: number }> {
  const started = performance.now();
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const res = await fetch(`${a.server.url}${typeof c.path === 'function' ? c.path() : c.path}`, {
    method: c.method,
    headers: {
      ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
      ...(c.body !== undefined && typeof c.body !== 'string' ? json : {}),
      ...(c.headers ?? {}),
    },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let parsed: Record<string, any> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, any>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, ms: performance.now() - started };
}

const count = async (query: string) => (await a.h.client.workflow.count(query)).count;

describe('hostile and mistaken requests', () => {
  it('every one gets the right 4xx (or 202 ignored), fast, with no side effect', async () => {
    const table = cases();
    expect(table.length).toBeGreaterThanOrEqual(60);
    const ofService = `RunwayService = "${a.service}"`;
    const before = { releases: await count(ofService), lockRunning: await lockState() };
    const slackCalls = slack.calls().filter((c) => c.method !== 'chat.postEphemeral').length;
    const failures: string[] = [];
    for (const c of table) {
      const res = await send(c);
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

/** The lock workflow's Temporal status, or "none". */
async function lockState(): Promise<string> {
  try {
    return (await a.h.client.workflow.getHandle(lockId).describe()).status.name;
  } catch {
    return 'none';
  }
}
