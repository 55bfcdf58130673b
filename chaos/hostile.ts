// Hostile and mistaken requests to the API, each with what a correct answer is. A 5xx is a wrong answer, so is
// a 2xx where a refusal was due, and so is no answer within 5 s. Webhooks may answer 202 "ignored" (GitLab
// disables hooks that answer 4xx), but must never start anything: the run checks that separately.

export interface HostileRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** `refuse`: only a 4xx is right. `ignore`: a 4xx, or 202 without a side effect. */
  expect: 'refuse' | 'ignore';
}

export interface HostileOutcome {
  sent: number;
  serverErrors: number;
  wronglyAccepted: number;
  hangs: number;
  /** A few examples of each wrong answer, for the report. */
  examples: string[];
  /** Wrong answers per kind of request (the first two words of its name). */
  wrongByKind: Record<string, number>;
}

export interface HostileTargets {
  service: string;
  project: string;
  webhookSecret: string;
  tokens: { reader: string; deployer: string; approver: string };
}

const HEX40 = 'bcbb5ec396a2c0f828686f14fac9b80b780504f2';

function mergeHook(project: string, sha: unknown, iid: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Mallory', username: 'mallory' },
    project: { id: 4242, path_with_namespace: project, web_url: `https://gitlab.example.com/${project}` },
    object_attributes: {
      iid,
      title: 'Hostile',
      action: 'merge',
      state: 'merged',
      target_branch: 'main',
      merge_commit_sha: sha,
      url: `https://gitlab.example.com/${project}/-/merge_requests/1`,
    },
    ...extra,
  });
}

export function hostileRequests(t: HostileTargets): HostileRequest[] {
  const out: HostileRequest[] = [];
  const hook = { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook' };
  const signed = { ...hook, 'x-gitlab-token': t.webhookSecret };
  const badShas: unknown[] = [
    '../../etc/passwd',
    '$(id)',
    'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
    `${HEX40.slice(0, 39)}\n`,
    HEX40.slice(0, 39),
    `${HEX40}a`,
    '',
    ' ',
    null,
    12345,
    ['a'],
    { sha: HEX40 },
    `${HEX40.slice(0, 20)}%2e%2e`,
    'g'.repeat(64),
  ];
  const badIids: unknown[] = [1e300, -1, 0, 'abc', 1.5, null, '7; DROP TABLE', 2 ** 63];
  // Every bad sha with a good iid, every bad iid with a good sha, and both bad.
  for (const sha of badShas) out.push(webhook(`sha ${JSON.stringify(sha)}`, mergeHook(t.project, sha, 7)));
  for (const iid of badIids) out.push(webhook(`iid ${JSON.stringify(iid)}`, mergeHook(t.project, HEX40, iid)));
  for (const sha of badShas)
    for (const iid of badIids.slice(0, 4))
      out.push(webhook(`sha ${JSON.stringify(sha)} iid ${JSON.stringify(iid)}`, mergeHook(t.project, sha, iid)));
  for (const project of ['__proto__', 'constructor', '../../etc', 'acme/unknown', '', 'a'.repeat(3000)]) {
    out.push(webhook(`project ${project.slice(0, 20)} + bad sha`, mergeHook(project, '$(id)', 7)));
  }
  // Bodies that are not a JSON object.
  for (const [type, body] of [
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ['application/json', ''],
    ['application/json', '{'],
    ['application/json', '[]'],
    ['application/json', 'null'],
    ['application/json', '"merge"'],
    ['application/json', '{"object_kind":"merge_request","object_attributes":null}'],
  ] as const) {
    out.push({ ...webhook(`body ${type} ${body.slice(0, 12)}`, body), headers: { ...signed, 'content-type': type } });
  }
  // Authentication: missing, wrong, and a wrong event type (each with an otherwise bad payload too).
  for (const [name, headers] of [
    ['no token', hook],
    ['wrong token', { ...hook, 'x-gitlab-token': 'not-the-secret' }],
    ['empty token', { ...hook, 'x-gitlab-token': '' }],
  ] as const) {
    out.push({
      name: `webhook ${name}`,
      method: 'POST',
      path: '/webhooks/gitlab',
      headers,
      body: mergeHook(t.project, HEX40, 7),
      expect: 'refuse',
    });
    out.push({
      name: `webhook ${name}, bad sha`,
      method: 'POST',
      path: '/webhooks/gitlab',
      headers,
      body: mergeHook(t.project, '$(id)', 7),
      expect: 'refuse',
    });
  }
  out.push({
    name: 'webhook 3 MiB body',
    method: 'POST',
    path: '/webhooks/gitlab',
    headers: signed,
    body: mergeHook(t.project, '$(id)', 7, { padding: 'x'.repeat(3 * 2 ** 20) }),
    expect: 'ignore',
  });

  // REST: ids that are not releases, bad page tokens and sizes.
  const read = { authorization: `Bearer ${t.tokens.reader}` };
  for (const id of [
    'service-lock%2Fhello',
    `service-lock%2F${t.service}`,
    '%2e%2e',
    '%2e%2e%2F%2e%2e%2Fetc',
    'release%2F__proto__%2Fabc',
    `release%2F${t.service}%2F${HEX40.slice(0, 39)}`,
    'x'.repeat(5000),
    '%00',
    'rollback%2F..%2F..',
  ]) {
    out.push({
      name: `GET release ${id.slice(0, 30)}`,
      method: 'GET',
      path: `/api/releases/${id}`,
      headers: read,
      expect: 'refuse',
    });
  }
  for (const q of [
    'pageToken=AAAA',
    'pageToken=%FF%FE',
    'pageToken=' + 'A'.repeat(4000),
    'pageSize=0',
    'pageSize=-1',
    'pageSize=1e9',
    'pageSize=abc',
    'status=bogus',
  ]) {
    out.push({
      name: `GET releases ?${q.slice(0, 30)}`,
      method: 'GET',
      path: `/api/releases?${q}`,
      headers: read,
      expect: 'refuse',
    });
  }
  // Actions without the right, or on what is not a release.
  const unknownRelease = `release%2F${t.service}%2F${'0'.repeat(40)}`;
  for (const [who, headers] of [
    ['no auth', {}],
    ['bad token', { authorization: 'Bearer nope' }],
    ['reader', read],
  ] as const) {
    for (const action of ['approve', 'reject', 'cancel']) {
      out.push({
        name: `${action} as ${who}`,
        method: 'POST',
        path: `/api/releases/${unknownRelease}/${action}`,
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{"environment":"production"}',
        expect: 'refuse',
      });
    }
    out.push({
      name: `rollback as ${who}`,
      method: 'POST',
      path: `/api/services/${t.service}/environments/staging/rollback`,
      headers,
      expect: 'refuse',
    });
    out.push({
      name: `start as ${who}`,
      method: 'POST',
      path: '/api/releases',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ service: t.service, sha: HEX40 }),
      expect: 'refuse',
    });
  }
  const approver = { authorization: `Bearer ${t.tokens.approver}` };
  const deployer = { authorization: `Bearer ${t.tokens.deployer}` };
  for (const [type, body] of [
    ['text/plain', 'approve'],
    ['application/x-www-form-urlencoded', 'environment=production'],
    ['application/json', ''],
    ['application/json', '{'],
    ['application/json', '{"environment":5}'],
    ['application/json', '{}'],
    ['application/json', '[]'],
  ] as const) {
    out.push({
      name: `approve body ${type} ${body.slice(0, 10)}`,
      method: 'POST',
      path: `/api/releases/${unknownRelease}/approve`,
      headers: { ...approver, 'content-type': type },
      body,
      expect: 'refuse',
    });
    out.push({
      name: `start body ${type} ${body.slice(0, 10)}`,
      method: 'POST',
      path: '/api/releases',
      headers: { ...deployer, 'content-type': type },
      body,
      expect: 'refuse',
    });
  }
  for (const lock of [
    `service-lock%2F${t.service}`,
    'service-lock%2Fhello',
    `rollback%2F${t.service}%2Fstaging%2Fv0`,
  ]) {
    out.push({
      name: `cancel ${lock}`,
      method: 'POST',
      path: `/api/releases/${lock}/cancel`,
      headers: deployer,
      expect: 'refuse',
    });
  }
  for (const service of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'nope', '..']) {
    out.push({
      name: `rollback ${service}`,
      method: 'POST',
      path: `/api/services/${encodeURIComponent(service)}/environments/staging/rollback`,
      headers: deployer,
      expect: 'refuse',
    });
    out.push({
      name: `history ${service}`,
      method: 'GET',
      path: `/api/services/${encodeURIComponent(service)}/environments/staging/history`,
      headers: read,
      expect: 'refuse',
    });
    out.push({
      name: `start ${service}`,
      method: 'POST',
      path: '/api/releases',
      headers: { ...deployer, 'content-type': 'application/json' },
      body: JSON.stringify({ service, sha: HEX40 }),
      expect: 'refuse',
    });
  }
  for (const body of [
    '{"tag":"../etc"}',
    '{"tag":"a b"}',
    '{"tag":""}',
    '{"tag":"v1","releaseId":"x"}',
    '{"releaseId":"release/none/0"}',
    '{"extra":1}',
    '{',
  ]) {
    out.push({
      name: `rollback body ${body}`,
      method: 'POST',
      path: `/api/services/${t.service}/environments/staging/rollback`,
      headers: { ...deployer, 'content-type': 'application/json' },
      body,
      expect: 'refuse',
    });
  }
  for (const env of ['qa', '__proto__', '..']) {
    out.push({
      name: `rollback env ${env}`,
      method: 'POST',
      path: `/api/services/${t.service}/environments/${encodeURIComponent(env)}/rollback`,
      headers: deployer,
      expect: 'refuse',
    });
  }
  return out;

  function webhook(name: string, body: string): HostileRequest {
    return {
      name: `webhook ${name}`,
      method: 'POST',
      path: '/webhooks/gitlab',
      headers: signed,
      body,
      expect: 'ignore',
    };
  }
}

/** Sends every request (a few at a time), classifying the answers. */
export async function sendHostile(baseUrl: string, requests: HostileRequest[]): Promise<HostileOutcome> {
  const outcome: HostileOutcome = {
    sent: 0,
    serverErrors: 0,
    wronglyAccepted: 0,
    hangs: 0,
    examples: [],
    wrongByKind: {},
  };
  const note = (name: string, text: string) => {
    const kind = name.split(' ').slice(0, 2).join(' ');
    outcome.wrongByKind[kind] = (outcome.wrongByKind[kind] ?? 0) + 1;
    if (outcome.examples.length < 40) outcome.examples.push(text);
  };
  const queue = [...requests];
  const lane = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      outcome.sent += 1;
      try {
        const res = await fetch(`${baseUrl}${r.path}`, {
          method: r.method,
          headers: r.headers,
          body: r.body,
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        if (res.status >= 500) {
          outcome.serverErrors += 1;
          note(r.name, `${res.status} ${r.name}`);
        } else if (res.status < 400 && !(r.expect === 'ignore' && res.status === 202)) {
          outcome.wronglyAccepted += 1;
          note(r.name, `${res.status} (accepted) ${r.name}`);
        }
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          outcome.hangs += 1;
          note(r.name, `no answer in 5 s: ${r.name}`);
        } else {
          // The server closing a too-large upload early is an answer, not a fault.
          if (!/3 MiB/.test(r.name)) {
            outcome.serverErrors += 1;
            note(r.name, `connection failed: ${r.name}`);
          }
        }
      }
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  return outcome;
}
