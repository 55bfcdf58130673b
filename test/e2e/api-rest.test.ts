// Over HTTP only: the REST API reads releases from Temporal, acts on them with role-checked tokens,
// and describes itself in OpenAPI.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';

let a: ApiHarness;
beforeAll(async () => {
  a = await createApiHarness();
});
afterAll(async () => a?.close());

const sha = () => randomBytes(20).toString('hex');

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

const releasePath = (id: string) => `/api/releases/${encodeURIComponent(id)}`;

async function startAndWaitForApproval(commit = sha()) {
  a.h.world.registry.publish({ repository: `registry.example.com/acme/${a.service}`, tag: commit });
  const started = await call('POST', '/api/releases', TOKENS.deployer, { service: a.service, sha: commit });
  expect(started.status).toBe(202);
  const id = started.body.releaseId as string;
  await waitFor(async () =>
    (await call('GET', releasePath(id), TOKENS.reader)).body.status === 'awaiting_approval' ? true : undefined,
  );
  return { id, commit };
}

describe('REST API', () => {
  it('checks tokens and roles with one error shape', async () => {
    expect(await call('GET', '/api/releases')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect(await call('GET', '/api/releases', 'wrong')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    const forbidden = await call('POST', '/api/releases', TOKENS.reader, { service: a.service, sha: sha() });
    expect(forbidden).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const invalid = await call('POST', '/api/releases', TOKENS.deployer, { service: a.service, sha: 'xyz' });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const unknown = await call('POST', '/api/releases', TOKENS.deployer, { service: 'nope', sha: sha() });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await call('GET', releasePath(`release/${a.service}/${sha()}`), TOKENS.reader)).toMatchObject({
      status: 404,
    });
  });

  it('starts a release, shows its timeline, approves it as the token owner, and lists it', async () => {
    const { id, commit } = await startAndWaitForApproval();
    const again = await call('POST', '/api/releases', TOKENS.deployer, { service: a.service, sha: commit });
    expect(again).toMatchObject({ status: 200, body: { releaseId: id, created: false } });

    // the approve token's name (U0ALICE) is on production's approvers; the deployer's is not
    const refused = await call('POST', `${releasePath(id)}/approve`, TOKENS.deployer, { environment: 'production' });
    expect(refused.status).toBe(403);
    const approved = await call('POST', `${releasePath(id)}/approve`, TOKENS.approver, { environment: 'production' });
    expect(approved).toMatchObject({ status: 200, body: { decision: 'approved', by: 'U0ALICE' } });
    await waitFor(async () =>
      (await call('GET', releasePath(id), TOKENS.reader)).body.status === 'succeeded' ? true : undefined,
    );

    const timeline = (await call('GET', releasePath(id), TOKENS.reader)).body;
    expect(
      timeline.stages.map(
        (s: { kind: string; environment?: string; state: string }) => `${s.kind}:${s.environment ?? ''}:${s.state}`,
      ),
    ).toEqual([
      'image::skipped',
      'deploy:staging:succeeded',
      'approval:production:succeeded',
      'deploy:production:succeeded',
    ]);
    const listed = await waitFor(async () => {
      const res = await call('GET', `/api/releases?service=${a.service}&status=succeeded`, TOKENS.reader);
      return res.body.releases?.length ? res : undefined;
    });
    expect(listed.body.releases[0]).toMatchObject({ releaseId: id, service: a.service, status: 'succeeded', commit });
  });

  it('refuses a decision the release is not waiting for (409), and cancels with compensation', async () => {
    const { id } = await startAndWaitForApproval();
    const wrongEnv = await call('POST', `${releasePath(id)}/reject`, TOKENS.approver, { environment: 'staging' });
    expect(wrongEnv).toMatchObject({ status: 409, body: { error: { code: 'decision_refused' } } });
    expect(await call('POST', `${releasePath(id)}/cancel`, TOKENS.deployer)).toMatchObject({ status: 202 });
    await waitFor(async () =>
      (await call('GET', releasePath(id), TOKENS.reader)).body.status === 'cancelled' ? true : undefined,
    );
  });

  it('paginates the release list', async () => {
    const first = await call('GET', `/api/releases?service=${a.service}&pageSize=1`, TOKENS.reader);
    expect(first.body.releases).toHaveLength(1);
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    const second = await call(
      'GET',
      `/api/releases?service=${a.service}&pageSize=1&pageToken=${String(first.body.nextPageToken)}`,
      TOKENS.reader,
    );
    expect(second.body.releases).toHaveLength(1);
    expect(second.body.releases[0].releaseId).not.toBe(first.body.releases[0].releaseId);
  });

  it('reports current versions and rolls an environment back to the previous version, as a workflow', async () => {
    // a second successful release, so staging has a "previous" version from a release
    const { id } = await startAndWaitForApproval();
    await call('POST', `${releasePath(id)}/approve`, TOKENS.approver, { environment: 'production' });
    await waitFor(async () =>
      (await call('GET', releasePath(id), TOKENS.reader)).body.status === 'succeeded' ? true : undefined,
    );
    const commit = id.split('/')[2]!;

    const services = await call('GET', '/api/services', TOKENS.reader);
    const mine = services.body.services.find((s: { service: string }) => s.service === a.service);
    expect(mine.environments.find((e: { environment: string }) => e.environment === 'staging').image).toBe(
      `registry.example.com/acme/${a.service}:${commit}`,
    );

    const rollbackPath = `/api/services/${a.service}/environments/staging/rollback`;
    const history = await call('GET', `/api/services/${a.service}/environments/staging/history`, TOKENS.reader);
    expect(history.body.deploys[0]).toMatchObject({ releaseId: id, image: expect.stringContaining(commit) });
    const badTag = await call('POST', rollbackPath, TOKENS.deployer, { tag: '../etc' });
    expect(badTag.status).toBe(400);
    const both = await call('POST', rollbackPath, TOKENS.deployer, { tag: 'v1', releaseId: id });
    expect(both.status).toBe(400);
    const current = await call('POST', rollbackPath, TOKENS.deployer, { releaseId: id });
    expect(current.status).toBe(409); // that version is what runs
    // A double click: both answer with the one rollback.
    const [rollback, again] = await Promise.all([
      call('POST', rollbackPath, TOKENS.deployer),
      call('POST', rollbackPath, TOKENS.deployer),
    ]);
    expect(rollback.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.rollbackId).toBe(rollback.body.rollbackId);
    expect([rollback.body.alreadyRunning, again.body.alreadyRunning].sort()).toEqual([false, true]);
    expect(rollback.body.image).not.toContain(commit);
    const rollbackId = rollback.body.rollbackId as string;
    expect(rollbackId).toBe(`rollback/${a.service}/staging/${rollback.body.image.split(':').at(-1)}`);
    await waitFor(async () =>
      (await call('GET', releasePath(rollbackId), TOKENS.reader)).body.status === 'succeeded' ? true : undefined,
    );
    const staging = a.config.services[a.service]!.environments[0]!;
    const target = { kind: 'kustomize' as const, file: staging.manifest.file, name: staging.manifest.kustomize!.image };
    expect(`${a.h.world.infra.imageAt(target)!.repository}:${a.h.world.infra.imageAt(target)!.tag}`).toBe(
      rollback.body.image,
    );
    const unknownEnv = await call('POST', `/api/services/${a.service}/environments/qa/rollback`, TOKENS.deployer);
    expect(unknownEnv.status).toBe(404);
  });

  it('serves health, readiness and an OpenAPI document generated from the routes', async () => {
    expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect(await call('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const doc = (await call('GET', '/api/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/releases',
        '/api/releases/{id}',
        '/api/releases/{id}/approve',
        '/api/releases/{id}/reject',
        '/api/releases/{id}/cancel',
        '/api/services/{service}/environments/{environment}/rollback',
        '/api/services',
      ]),
    );
  });
});
