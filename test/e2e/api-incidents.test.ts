// Over HTTP: GET /api/incidents reads the watchers' memos (no worker needed to answer), POST …/silence tells the
// watcher (starting it if the worker has not yet), with the same tokens and roles as every route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';

let a: ApiHarness;
beforeAll(async () => {
  a = await createApiHarness();
});
afterAll(async () => {
  await a?.h.client.workflow
    .getHandle(`runway-watch/default/${a.h.taskQueue}`)
    .terminate('test over')
    .catch(() => undefined);
  await a?.close();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${a.server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('incidents over REST', () => {
  it('lists incidents and watchers, silences an environment, and refuses what it must', async () => {
    expect((await call('GET', '/api/incidents')).status).toBe(401);
    const none = await call('GET', '/api/incidents', TOKENS.reader);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({
      open: [],
      recent: [],
      watchers: [{ instance: 'default', workflowId: `runway-watch/default/${a.h.taskQueue}`, running: false }],
    });

    const silencePath = `/api/services/${a.service}/environments/staging/silence`;
    expect((await call('POST', silencePath, TOKENS.reader, { duration: '1h' })).status).toBe(403);
    expect((await call('POST', silencePath, TOKENS.deployer, { duration: 'soon' })).status).toBe(400);
    expect((await call('POST', silencePath, TOKENS.deployer, { duration: '30d' })).status).toBe(400);
    expect(
      (await call('POST', `/api/services/${a.service}/environments/nope/silence`, TOKENS.deployer, {})).status,
    ).toBe(404);
    const silenced = await call('POST', silencePath, TOKENS.deployer, { duration: '1h' });
    expect(silenced.status).toBe(200);
    expect(Date.parse(silenced.body.until as string)).toBeGreaterThan(Date.now() + 3_500_000);

    // The watcher now runs (signal-with-start) and its memo shows the silence.
    const listed = await waitFor(async () => {
      const r = await call('GET', '/api/incidents', TOKENS.reader);
      return r.body.watchers?.[0]?.running ? r : undefined;
    });
    expect(listed.body.open).toEqual([]);
    await waitFor(async () => {
      const d = await a.h.client.workflow.getHandle(`runway-watch/default/${a.h.taskQueue}`).describe();
      const memo = d.memo as { incidents?: { silences: Record<string, { by: string }> } };
      const silences = memo.incidents?.silences ?? {};
      return silences[`${a.service}/staging`]?.by === 'deploy-bot' ? true : undefined;
    });

    // The OpenAPI document describes both routes.
    const doc = await fetch(`${a.server.url}/api/openapi.json`).then((r) => r.json() as Promise<any>);
    expect(doc.paths['/api/incidents']?.get).toBeDefined();
    expect(doc.paths['/api/services/{service}/environments/{environment}/silence']?.post).toBeDefined();
  }, 60_000);
});
