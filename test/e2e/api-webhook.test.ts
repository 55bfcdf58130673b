// Over HTTP only: the GitLab webhook starts releases, redeliveries never start a second one, and
// bad requests are refused without starting anything or hurting the server.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, mergeHook, postWebhook, type ApiHarness } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';

let a: ApiHarness;
beforeAll(async () => {
  a = await createApiHarness();
});
afterAll(async () => a?.close());

const sha = () => randomBytes(20).toString('hex');

const hook = (body: unknown, headers: Record<string, string> = {}) => postWebhook(a, body, headers);

async function releasesOf(service: string): Promise<number> {
  let n = 0;
  for await (const _ of a.h.client.workflow.list({ query: `RunwayService = "${service}"` })) n++;
  return n;
}

describe('GitLab webhook', () => {
  it('a merge starts the release (202 with id and status URL); redeliveries get the same release (200)', async () => {
    const commit = sha();
    const first = await hook(mergeHook(a.service, commit), { 'idempotency-key': 'delivery-1' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      releaseId: `release/${a.service}/${commit}`,
      statusUrl: `http://runway.test/api/releases/${encodeURIComponent(`release/${a.service}/${commit}`)}`,
      created: true,
    });
    const sameKey = await hook(mergeHook(a.service, commit), { 'idempotency-key': 'delivery-1' });
    expect(sameKey.status).toBe(200);
    expect(sameKey.body.releaseId).toBe(first.body.releaseId);
    const sameCommit = await hook(mergeHook(a.service, commit), { 'idempotency-key': 'delivery-2' });
    expect(sameCommit).toMatchObject({ status: 200, body: { releaseId: first.body.releaseId, created: false } });
    await waitFor(async () => ((await releasesOf(a.service)) >= 1 ? true : undefined));
    expect(await releasesOf(a.service)).toBe(1);
    await a.h.client.workflow.getHandle(String(first.body.releaseId)).terminate('test done');
  });

  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as {
      project: Record<string, unknown>;
      user: Record<string, unknown>;
      object_attributes: Record<string, unknown>;
    };

  it('starts a release from the 2017 payload (no event_type, no user.id, no project.id), matched by path', async () => {
    const payload = fixture('gitlab-merge-request-merged-2017.json');
    expect(payload).not.toHaveProperty('event_type');
    expect(payload.project).not.toHaveProperty('id');
    expect(payload.user).not.toHaveProperty('id');
    // retarget the project and branch at our service; everything else stays in its 2017 shape
    payload.project.path_with_namespace = `acme/${a.service}`;
    payload.object_attributes.target_branch = 'main';
    const res = await hook(payload);
    expect(res.status).toBe(202);
    const id = `release/${a.service}/${String(payload.object_attributes.merge_commit_sha)}`;
    expect(res.body).toMatchObject({ releaseId: id, created: true });
    const handle = a.h.client.workflow.getHandle(id);
    const timeline = await handle.query<{ links: Record<string, string>; actions: { action: string; by: string }[] }>(
      'status',
    );
    expect(timeline.links.mergeRequest).toBe(payload.object_attributes.url);
    expect(timeline.actions[0]).toMatchObject({ action: 'deploy', by: 'ada' });
    await handle.terminate('test done');
  });

  it('starts a release from the modern payload too', async () => {
    const payload = fixture('gitlab-merge-request-merged.json');
    payload.project.path_with_namespace = `acme/${a.service}`;
    const commit = sha();
    payload.object_attributes.merge_commit_sha = commit;
    const res = await hook(payload);
    expect(res).toMatchObject({ status: 202, body: { releaseId: `release/${a.service}/${commit}`, created: true } });
    await a.h.client.workflow.getHandle(String(res.body.releaseId)).terminate('test done');
  });

  it('names the missing field when a merge payload cannot be used (202, nothing started)', async () => {
    const before = await releasesOf(a.service);
    const withoutIid = mergeHook(a.service, sha()) as Record<string, any>;
    delete withoutIid.object_attributes.iid;
    expect(await hook(withoutIid)).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('object_attributes.iid is missing') },
    });
    const withoutPath = mergeHook(a.service, sha()) as Record<string, any>;
    delete withoutPath.project.path_with_namespace;
    expect(await hook(withoutPath)).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('project.path_with_namespace is missing') },
    });
    const withoutSha = mergeHook(a.service, sha()) as Record<string, any>;
    delete withoutSha.object_attributes.merge_commit_sha;
    delete withoutSha.object_attributes.last_commit;
    expect(await hook(withoutSha)).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('merge_commit_sha is missing') },
    });
    expect(await releasesOf(a.service)).toBe(before);
  });

  it('ignores (202) what it does not act on, so GitLab never disables the hook', async () => {
    expect(await hook(mergeHook(a.service, sha(), { action: 'open' }))).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('not a merge') },
    });
    expect(await hook(mergeHook(a.service, sha(), { target: 'develop' }))).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('develop') },
    });
    expect(await hook(mergeHook('unknown-svc', sha()))).toMatchObject({
      status: 202,
      body: { ignored: expect.any(String) },
    });
    expect(await hook({ object_kind: 'push' }, { 'x-gitlab-event': 'Push Hook' })).toMatchObject({
      status: 202,
      body: { ignored: expect.stringContaining('Push Hook') },
    });
  });

  it('refuses a wrong token, an oversized body and malformed JSON, starts nothing, keeps serving', async () => {
    const before = await releasesOf(a.service);
    const wrong = await hook(mergeHook(a.service, sha()), { 'x-gitlab-token': 'nope' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const missing = await fetch(`${a.server.url}/webhooks/gitlab`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    const huge = await hook('{"x":"' + 'a'.repeat(1024 * 1024 + 10) + '"}');
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    const malformed = await hook('{"object_kind": "merge_request",');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(await releasesOf(a.service)).toBe(before);
    expect((await fetch(`${a.server.url}/healthz`)).status).toBe(200);
  });

  it('a Pipeline Hook signals the matching release, which then fails naming the job', async () => {
    const commit = sha();
    a.h.world.gitlab.setPipeline(commit, { id: 501, status: 'running' });
    const started = await hook(mergeHook(a.service, commit));
    expect(started.status).toBe(202);
    const id = String(started.body.releaseId);
    const handle = a.h.client.workflow.getHandle(id);
    await waitFor(async () => {
      const t = await handle.query<{ stages: { details: Record<string, unknown> }[] }>('status');
      return t.stages[0]?.details.pipelineStatus === 'running' ? true : undefined;
    });
    const job = { id: 9001, name: 'docker-build', stage: 'build', status: 'failed', allow_failure: false };
    const pipeline = {
      object_kind: 'pipeline',
      project: {
        id: 4242,
        path_with_namespace: `acme/${a.service}`,
        web_url: `https://gitlab.example.com/acme/${a.service}`,
      },
      object_attributes: { id: 501, sha: commit, ref: 'main', status: 'failed' },
      builds: [{ id: 9000, name: 'lint', stage: 'test', status: 'failed', allow_failure: true }, job],
    };
    const signalled = await hook(pipeline, { 'x-gitlab-event': 'Pipeline Hook' });
    expect(signalled).toMatchObject({ status: 202, body: { signalled: [id] } });
    await expect(handle.result()).rejects.toThrow();
    const t = await handle.query<{ status: string; links: Record<string, string> }>('status');
    expect(t.status).toBe('failed');
    expect(t.links.failedJob).toBe(`https://gitlab.example.com/acme/${a.service}/-/jobs/9001`);
    const unknown = await hook(
      { ...pipeline, object_attributes: { ...pipeline.object_attributes, sha: sha() } },
      { 'x-gitlab-event': 'Pipeline Hook' },
    );
    expect(unknown).toMatchObject({ status: 202, body: { ignored: expect.stringContaining('no release') } });
  });
});
