// A table of hostile and mistaken requests against Runway's API (REST, GitLab webhook, Slack), each with the answer
// it must get. Used by test/e2e/api-hostile.test.ts, and reusable by a chaos run against any API it can reach.
import { createHmac, randomBytes } from 'node:crypto';
import { APPROVAL_BLOCK_ID, APPROVE_ACTION_ID } from '../../integrations/slack-blocks.js';
import { mergeHook } from './api-harness.js';

export interface HostileTarget {
  /** A configured service whose production environment has an approval gate and staging none. */
  service: string;
  tokens: { reader: string; deployer: string; approver: string };
  webhookSecret: string;
  signingSecret: string;
  /** A release of `service` that has ended (e.g. rejected). */
  endedReleaseId: string;
  /** The service's lock workflow id. */
  lockId: string;
}

export interface HostileCase {
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

const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
const path = (id: string) => `/api/releases/${encodeURIComponent(id)}`;

/** At least 60 cases; none may start, decide or cancel anything. */
export function hostileCases(t: HostileTarget): HostileCase[] {
  const json = { 'content-type': 'application/json' };
  const hook = (mutate: (h: Record<string, any>) => void, event = 'Merge Request Hook'): Partial<HostileCase> => {
    const payload = mergeHook(t.service, hex(40)) as Record<string, any>;
    mutate(payload);
    return {
      method: 'POST',
      path: '/webhooks/gitlab',
      headers: { ...json, 'x-gitlab-event': event, 'x-gitlab-token': t.webhookSecret },
      body: payload,
    };
  };
  const withSha = (sha: string) => hook((h) => (h.object_attributes.merge_commit_sha = sha));
  const withIid = (iid: unknown) => hook((h) => (h.object_attributes.iid = iid));
  const start = (body: unknown, headers: Record<string, string> = json): Partial<HostileCase> => ({
    method: 'POST',
    path: '/api/releases',
    token: t.tokens.deployer,
    headers,
    body,
  });
  const pipeline = (attributes: Record<string, unknown>): Partial<HostileCase> => ({
    method: 'POST',
    path: '/webhooks/gitlab',
    headers: { ...json, 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': t.webhookSecret },
    body: {
      object_kind: 'pipeline',
      project: { id: 4242, path_with_namespace: `acme/${t.service}` },
      object_attributes: { id: 1, sha: hex(40), status: 'failed', ...attributes },
      builds: [],
    },
  });

  const slackSigned = (body: string, secret = t.signingSecret): Record<string, string> => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
    return {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': `v0=${sig}`,
      'x-slack-request-timestamp': String(ts),
    };
  };
  const buttonPress = (releaseId: string) => {
    const payload = {
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', team_id: 'T0FAKE' },
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

  const cases = (): HostileCase[] => {
    const svc = t.service;
    const list: (Partial<HostileCase> & { name: string; status: number })[] = [
      // --- auth
      { name: 'no token', path: '/api/releases', status: 401, expect: 'unauthorized' },
      { name: 'unknown token', path: '/api/releases', token: 'nope', status: 401, expect: 'unauthorized' },
      { name: 'empty bearer', path: '/api/releases', headers: { authorization: 'Bearer ' }, status: 401 },
      { name: 'reader starts', ...start({ service: svc, sha: hex(40) }), token: t.tokens.reader, status: 403 },
      {
        name: 'deployer approves',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.deployer,
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
      { name: 'service __proto__', ...start({ service: '__proto__', sha: hex(40) }), status: 400 },
      { name: 'service constructor', ...start({ service: 'constructor', sha: hex(40) }), status: 404 },
      { name: 'service toString', ...start({ service: 'toString', sha: hex(40) }), status: 400 },
      { name: 'service hasOwnProperty', ...start({ service: 'hasOwnProperty', sha: hex(40) }), status: 400 },
      { name: 'unknown service', ...start({ service: 'nope', sha: hex(40) }), status: 404 },
      { name: 'service number', ...start({ service: 42, sha: hex(40) }), status: 400 },
      { name: 'service too long', ...start({ service: 'a'.repeat(5000), sha: hex(40) }), status: 400 },
      { name: 'ref with spaces', ...start({ service: svc, sha: hex(40), ref: 'main; rm -rf' }), status: 400 },
      { name: 'ref empty', ...start({ service: svc, sha: hex(40), ref: '' }), status: 400 },
      { name: 'body over the limit', ...start({ service: svc, sha: hex(40), pad: 'x'.repeat(70_000) }), status: 413 },
      // --- listing
      { name: 'pageToken AAAA', path: '/api/releases?pageToken=AAAA', token: t.tokens.reader, status: 400 },
      {
        name: 'forged pageToken',
        path: '/api/releases?pageToken=AAAA.BBBBBBBBBBBBBBBBBBBBBB',
        token: t.tokens.reader,
        status: 400,
      },
      { name: 'pageToken junk', path: '/api/releases?pageToken=%00%01', token: t.tokens.reader, status: 400 },
      { name: 'pageSize 0', path: '/api/releases?pageSize=0', token: t.tokens.reader, status: 400 },
      { name: 'pageSize 1e300', path: '/api/releases?pageSize=1e300', token: t.tokens.reader, status: 400 },
      { name: 'pageSize -1', path: '/api/releases?pageSize=-1', token: t.tokens.reader, status: 400 },
      { name: 'pageSize abc', path: '/api/releases?pageSize=abc', token: t.tokens.reader, status: 400 },
      { name: 'status bogus', path: '/api/releases?status=bogus', token: t.tokens.reader, status: 400 },
      {
        name: 'service filter too long',
        path: `/api/releases?service=${'a'.repeat(300)}`,
        token: t.tokens.reader,
        status: 400,
      },
      {
        name: 'service filter __proto__',
        path: '/api/releases?service=__proto__',
        token: t.tokens.reader,
        status: 400,
      },
      // --- release ids
      { name: 'lock id', path: '/api/releases/service-lock%2Fhello', token: t.tokens.reader, status: 404 },
      { name: 'our lock id', path: () => path(t.lockId), token: t.tokens.reader, status: 404 },
      { name: 'release of __proto__', path: path(`release/__proto__/${hex(40)}`), token: t.tokens.reader, status: 404 },
      { name: 'release short sha', path: path(`release/${svc}/abc1234`), token: t.tokens.reader, status: 404 },
      { name: 'release unknown sha', path: path(`release/${svc}/${hex(40)}`), token: t.tokens.reader, status: 404 },
      { name: 'id too long', path: path('x'.repeat(400)), token: t.tokens.reader, status: 400 },
      { name: 'id with NUL', path: '/api/releases/%00', token: t.tokens.reader, status: 404 },
      {
        name: 'rollback id traversal',
        path: path(`rollback/${svc}/staging/../../x`),
        token: t.tokens.reader,
        status: 404,
      },
      // --- actions on what is not a release, or has ended
      {
        name: 'cancel the lock',
        method: 'POST',
        path: () => `${path(t.lockId)}/cancel`,
        token: t.tokens.deployer,
        status: 404,
      },
      {
        name: 'approve the lock',
        method: 'POST',
        path: () => `${path(t.lockId)}/approve`,
        token: t.tokens.approver,
        body: { environment: 'production' },
        status: 404,
      },
      {
        name: 'approve unknown release',
        method: 'POST',
        path: path(`release/${svc}/${hex(40)}`) + '/approve',
        token: t.tokens.approver,
        body: { environment: 'production' },
        status: 404,
      },
      {
        name: 'approve ended release',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.approver,
        body: { environment: 'production' },
        status: 409,
        expect: 'already_ended',
      },
      {
        name: 'reject ended release',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/reject`,
        token: t.tokens.approver,
        body: { environment: 'production' },
        status: 409,
        expect: 'already_ended',
      },
      {
        name: 'cancel ended release',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/cancel`,
        token: t.tokens.deployer,
        status: 409,
      },
      {
        name: 'approve without environment',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.approver,
        body: {},
        status: 400,
      },
      {
        name: 'approve with numeric environment',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.approver,
        body: { environment: 7 },
        status: 400,
      },
      {
        name: 'approve with a long comment',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.approver,
        body: { environment: 'production', comment: 'x'.repeat(501) },
        status: 400,
      },
      {
        name: 'approve with a text body',
        method: 'POST',
        path: () => `${path(t.endedReleaseId)}/approve`,
        token: t.tokens.approver,
        headers: { 'content-type': 'text/plain' },
        body: 'approve',
        status: 400,
      },
      // --- rollback
      {
        name: 'rollback __proto__',
        method: 'POST',
        path: '/api/services/__proto__/environments/staging/rollback',
        token: t.tokens.deployer,
        // Not a name runway.yaml allows: refused by the pattern the OpenAPI document states.
        status: 400,
      },
      {
        name: 'rollback env __proto__',
        method: 'POST',
        path: `/api/services/${svc}/environments/__proto__/rollback`,
        token: t.tokens.deployer,
        status: 400,
      },
      {
        name: 'rollback env toString',
        method: 'POST',
        path: `/api/services/${svc}/environments/toString/rollback`,
        token: t.tokens.deployer,
        status: 400,
      },
      {
        name: 'rollback production by a non-deployer',
        method: 'POST',
        path: `/api/services/${svc}/environments/production/rollback`,
        token: t.tokens.deployer,
        status: 403,
      },
      {
        name: 'rollback by a reader',
        method: 'POST',
        path: `/api/services/${svc}/environments/staging/rollback`,
        token: t.tokens.reader,
        status: 403,
      },
      {
        name: 'rollback long names',
        method: 'POST',
        path: `/api/services/${'a'.repeat(100)}/environments/staging/rollback`,
        token: t.tokens.deployer,
        status: 400,
      },
      // --- other routes
      { name: 'dora __proto__', path: '/api/metrics/dora?service=__proto__', token: t.tokens.reader, status: 400 },
      { name: 'dora window', path: '/api/metrics/dora?window=1e300d', token: t.tokens.reader, status: 400 },
      { name: 'unknown route', path: '/api/nope', status: 404 },
      { name: 'wrong method', method: 'DELETE', path: '/api/releases', token: t.tokens.deployer, status: 404 },
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
        headers: { ...json, 'x-gitlab-token': t.webhookSecret },
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
    return list.map((c) => ({ method: 'GET', ...c }) as HostileCase);
  };
  return cases();
}

export async function sendHostile(
  baseUrl: string,
  c: HostileCase,
): Promise<{ status: number; body: Record<string, any>; ms: number }> {
  const started = performance.now();
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const res = await fetch(`${baseUrl}${typeof c.path === 'function' ? c.path() : c.path}`, {
    method: c.method,
    headers: {
      ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
      ...(c.body !== undefined && typeof c.body !== 'string' ? { 'content-type': 'application/json' } : {}),
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
