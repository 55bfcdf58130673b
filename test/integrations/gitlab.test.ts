// The GitLab port through the real gitbeaker client against the fake GitLab: pipelines, deployments, MR
// notes, and how failures are classified (permanent vs retryable) without ever leaking the token.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitLabClient, GitLabError, PermanentGitLabError, pipelineState } from '../../integrations/gitlab.js';
import type { GitLabPort } from '../../activities/ports.js';
import { FAKE_GITLAB_TOKEN, FakeGitLab, type FakeJobSeed } from '../../fakes/gitlab.js';

const PROJECT = 'acme/payments';
const SHA = 'bcbb5ec396a2c0f828686f14fac9b80b780504f2';
const OTHER_SHA = '0123456789abcdef0123456789abcdef01234567';

interface FixtureBuild extends FakeJobSeed {
  id: number;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/gitlab-pipeline.json', import.meta.url), 'utf8')) as {
  object_attributes: { sha: string; ref: string };
  builds: FixtureBuild[];
};

let fake: FakeGitLab;
let gitlab: GitLabPort;

beforeEach(async () => {
  fake = new FakeGitLab();
  await fake.listen();
  fake.addProject({ path: PROJECT });
  gitlab = createGitLabClient({ url: fake.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 5_000 });
});

afterEach(async () => {
  await fake.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('latestPipeline', () => {
  it('is null when the commit has no pipeline yet', async () => {
    expect(await gitlab.latestPipeline(PROJECT, SHA)).toBeNull();
  });

  it('returns the newest pipeline and, when it failed, the failed job that was not allowed to fail', async () => {
    fake.addPipeline(PROJECT, { sha: SHA, status: 'success', jobs: fixture.builds });
    // The fixture's builds with `test-build` failing, next to a failure that was allowed (manual production).
    const builds = fixture.builds.map((b) =>
      b.name === 'test-build'
        ? { ...b, status: 'failed', failure_reason: 'script_failure' }
        : b.name === 'production'
          ? { ...b, status: 'failed' }
          : b,
    );
    const newest = fake.addPipeline(PROJECT, { sha: fixture.object_attributes.sha, status: 'failed', jobs: builds });
    fake.addPipeline(PROJECT, { sha: OTHER_SHA, status: 'running' });

    const info = await gitlab.latestPipeline(PROJECT, SHA);

    expect(info).toEqual({
      id: newest.id,
      status: 'failed',
      webUrl: `${fake.url}/${PROJECT}/-/pipelines/${newest.id}`,
      failedJob: { name: 'test-build', stage: 'test', url: `${fake.url}/${PROJECT}/-/jobs/378` },
    });
    const jobsRequest = fake.http.received('GET', /\/pipelines\/\d+\/jobs$/)[0]!;
    expect(jobsRequest.query.get('scope')).toBe('failed');
  });

  it('ignores child pipelines, whose status counts through their parent', async () => {
    const parent = fake.addPipeline(PROJECT, { sha: SHA, status: 'running' });
    fake.addPipeline(PROJECT, { sha: SHA, status: 'failed', source: 'parent_pipeline' });
    expect(await gitlab.latestPipeline(PROJECT, SHA)).toMatchObject({ id: parent.id, status: 'running' });
  });

  it('reports a failed pipeline without a blocking failed job (e.g. a failed bridge) without failedJob', async () => {
    fake.addPipeline(PROJECT, {
      sha: SHA,
      status: 'failed',
      jobs: [{ name: 'lint', stage: 'test', status: 'failed', allow_failure: true }],
    });
    const info = await gitlab.latestPipeline(PROJECT, SHA);
    expect(info?.status).toBe('failed');
    expect(info?.failedJob).toBeUndefined();
  });

  it('folds GitLab pipeline statuses into Runway states', () => {
    expect(
      ['created', 'waiting_for_resource', 'preparing', 'pending', 'scheduled', 'manual'].map(pipelineState),
    ).toEqual(Array(6).fill('pending'));
    expect(['running', 'success', 'failed', 'canceled', 'canceling', 'skipped'].map(pipelineState)).toEqual([
      'running',
      'success',
      'failed',
      'canceled',
      'canceled',
      'skipped',
    ]);
  });
});

describe('deployments', () => {
  const input = { projectId: PROJECT, environment: 'staging', sha: SHA, ref: 'main' };

  it('creates one running deployment even when ensureDeployment is called twice', async () => {
    fake.addDeployment(PROJECT, { environment: 'staging', sha: OTHER_SHA });

    const first = await gitlab.ensureDeployment(input);
    const second = await gitlab.ensureDeployment(input);

    expect(second).toEqual(first);
    const ours = fake.deployments(PROJECT).filter((d) => d.sha === SHA);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ id: first.id, environment: 'staging', ref: 'main', tag: false, status: 'running' });
    expect(fake.http.received('POST', /\/deployments$/)).toHaveLength(1);
  });

  it("finds an earlier attempt's deployment beyond the first page", async () => {
    const earlier = fake.addDeployment(PROJECT, { environment: 'staging', sha: SHA });
    for (let i = 0; i < 130; i += 1) fake.addDeployment(PROJECT, { environment: 'staging', sha: OTHER_SHA });

    expect(await gitlab.ensureDeployment(input)).toEqual({ id: earlier.id });
    expect(fake.http.received('GET', /\/deployments$/).map((r) => r.query.get('page'))).toEqual([null, '2']);
    expect(fake.http.received('POST', /\/deployments$/)).toHaveLength(0);
  });

  it.each(['success', 'failed', 'canceled'] as const)('updates a deployment to %s', async (status) => {
    const { id } = await gitlab.ensureDeployment(input);
    await gitlab.updateDeployment(PROJECT, id, status);
    expect(fake.deployments(PROJECT).find((d) => d.id === id)?.status).toBe(status);
  });

  it('treats a repeated update (GitLab answers 400 for a same-state transition) as done', async () => {
    const { id } = await gitlab.ensureDeployment(input);
    await gitlab.updateDeployment(PROJECT, id, 'success');
    await gitlab.updateDeployment(PROJECT, id, 'success');
    expect(fake.deployments(PROJECT).find((d) => d.id === id)?.status).toBe('success');
    expect(fake.http.received('PUT', /\/deployments\/\d+$/).length).toBe(2);
  });

  it('makes an impossible transition permanent', async () => {
    const { id } = await gitlab.ensureDeployment(input);
    await gitlab.updateDeployment(PROJECT, id, 'success');
    const err = await rejection(gitlab.updateDeployment(PROJECT, id, 'running'));
    expect(err).toBeInstanceOf(PermanentGitLabError);
    expect(err.message).toContain('cannot go from success to running');
  });

  it('cannot update a deployment made by a CI job (403, permanent)', async () => {
    const ci = fake.addDeployment(PROJECT, { environment: 'staging', sha: SHA, createdByCi: true });
    const err = await rejection(gitlab.updateDeployment(PROJECT, ci.id, 'success'));
    expect(err.name).toBe('PermanentGitLabError');
    expect(err.message).toContain('403');
  });
});

describe('merge request notes', () => {
  const marker = '<!-- runway:release/payments/abc -->';

  it('creates the note once, then edits it in place', async () => {
    fake.addMergeRequest(PROJECT, 7);
    fake.addNote(PROJECT, 7, 'LGTM');
    fake.addNote(PROJECT, 7, `changed the description ${marker}`, true);

    const first = await gitlab.upsertMergeRequestNote({
      projectId: PROJECT,
      mrIid: 7,
      marker,
      body: `${marker}\nstaging: deploying`,
    });
    const second = await gitlab.upsertMergeRequestNote({
      projectId: PROJECT,
      mrIid: 7,
      marker,
      body: `${marker}\nstaging: healthy`,
    });

    expect(second).toEqual(first);
    const ours = fake.notes(PROJECT, 7).filter((n) => !n.system && n.body.includes(marker));
    expect(ours).toEqual([expect.objectContaining({ id: first.noteId, body: `${marker}\nstaging: healthy` })]);
    expect(fake.http.received('POST', /\/notes$/)).toHaveLength(1);
    expect(fake.http.received('PUT', /\/notes\/\d+$/)).toHaveLength(1);
  });

  it('pages through every note to find its own', async () => {
    fake.addMergeRequest(PROJECT, 8);
    for (let i = 0; i < 120; i += 1) fake.addNote(PROJECT, 8, `comment ${i}`);

    const first = await gitlab.upsertMergeRequestNote({ projectId: PROJECT, mrIid: 8, marker, body: `${marker} v1` });
    const second = await gitlab.upsertMergeRequestNote({ projectId: PROJECT, mrIid: 8, marker, body: `${marker} v2` });

    expect(second).toEqual(first);
    expect(fake.notes(PROJECT, 8)).toHaveLength(121);
    const pages = fake.http.received('GET', /\/notes$/).map((r) => r.query.get('page'));
    expect(pages).toEqual(['1', '2', '1', '2']);
  });

  it('adds the marker when the body lacks it, so the next call still finds the note', async () => {
    fake.addMergeRequest(PROJECT, 9);
    const first = await gitlab.upsertMergeRequestNote({ projectId: PROJECT, mrIid: 9, marker, body: 'deploying' });
    const second = await gitlab.upsertMergeRequestNote({ projectId: PROJECT, mrIid: 9, marker, body: 'done' });
    expect(second).toEqual(first);
    expect(fake.notes(PROJECT, 9)).toEqual([expect.objectContaining({ body: `done\n\n${marker}` })]);
  });
});

describe('failures', () => {
  it('a 429 is not re-sent in-process: a retryable GitLabError carries Retry-After for Temporal', async () => {
    fake.rateLimit({ method: 'GET', path: /\/pipelines$/ }, 1, 30);
    fake.addPipeline(PROJECT, { sha: SHA, status: 'success' });
    const err = await rejection(gitlab.latestPipeline(PROJECT, SHA));
    expect(err).toBeInstanceOf(GitLabError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 30_000 });
    expect(fake.http.received('GET', /\/pipelines$/)).toHaveLength(1);
    // The activity's next attempt (Temporal's retry) gets through.
    expect(await gitlab.latestPipeline(PROJECT, SHA)).toMatchObject({ status: 'success' });
  });

  it('a 502 is not re-sent by gitbeaker either (it would repeat a write whose reply was lost)', async () => {
    fake.serverError({ method: 'POST', path: /\/deployments$/ }, 1, 502);
    const err = await rejection(
      gitlab.ensureDeployment({ projectId: PROJECT, environment: 'staging', sha: SHA, ref: 'main' }),
    );
    expect(err).toBeInstanceOf(GitLabError);
    expect(fake.http.received('POST', /\/deployments$/)).toHaveLength(1);
  });

  it('401 is permanent, names the endpoint and never the token', async () => {
    const secret = 'glpat-this-is-a-secret-token';
    const client = createGitLabClient({ url: fake.url, token: secret });
    const err = await rejection(client.latestPipeline(PROJECT, SHA));
    expect(err).toBeInstanceOf(PermanentGitLabError);
    expect(err.name).toBe('PermanentGitLabError');
    expect(err.message).toContain(`GET /api/v4/projects/acme%2Fpayments/pipelines`);
    expect(err.message).toContain('401');
    for (const text of [err.message, err.stack ?? '', JSON.stringify(err), String(err.cause)]) {
      expect(text).not.toContain(secret);
    }
  });

  it('404 for an unknown project is permanent', async () => {
    const err = await rejection(
      gitlab.ensureDeployment({ projectId: 'acme/nope', environment: 'staging', sha: SHA, ref: 'main' }),
    );
    expect(err).toBeInstanceOf(PermanentGitLabError);
    expect(err.message).toContain('404 Project Not Found');
  });

  it('500 is retryable, and the next attempt succeeds', async () => {
    fake.serverError({ method: 'POST', path: /\/deployments$/ });
    const input = { projectId: PROJECT, environment: 'production', sha: SHA, ref: 'main' };
    const err = await rejection(gitlab.ensureDeployment(input));
    expect(err).toBeInstanceOf(GitLabError);
    expect(err).not.toBeInstanceOf(PermanentGitLabError);
    expect((err as GitLabError).status).toBe(500);
    await gitlab.ensureDeployment(input);
    expect(fake.deployments(PROJECT)).toHaveLength(1);
  });

  it('a slow GitLab times out as a retryable error', async () => {
    const client = createGitLabClient({ url: fake.url, token: FAKE_GITLAB_TOKEN, requestTimeoutMs: 150 });
    fake.latency(1_000, { path: /\/pipelines$/ });
    const err = await rejection(client.latestPipeline(PROJECT, SHA));
    expect(err).toBeInstanceOf(GitLabError);
    expect(err.message).toContain('timed out after 150 ms');
  });

  it('a dropped connection is retryable', async () => {
    fake.connectionReset({ path: /\/notes$/ });
    fake.addMergeRequest(PROJECT, 1);
    const err = await rejection(
      gitlab.upsertMergeRequestNote({ projectId: PROJECT, mrIid: 1, marker: 'm', body: 'm' }),
    );
    expect(err).toBeInstanceOf(GitLabError);
  });
});

describe('fake GitLab wire behaviour', () => {
  const api = (path: string, init: RequestInit = {}, token = FAKE_GITLAB_TOKEN) =>
    fetch(`${fake.url}/api/v4${path}`, { ...init, headers: { 'PRIVATE-TOKEN': token, ...init.headers } });

  it('accepts deployment parameters in the query string as well as in a JSON body', async () => {
    const query = new URLSearchParams({ environment: 'qa', sha: SHA, ref: 'main', tag: 'false', status: 'running' });
    const res = await api(`/projects/1/deployments?${query.toString()}`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ sha: SHA, status: 'running', environment: { name: 'qa' } });

    const bad = await api('/projects/1/deployments', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ environment: 'qa', sha: SHA, ref: 'main', tag: false, status: 'created' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'status does not have a valid value' });
  });

  it('accepts an OAuth bearer token and rejects a wrong one with GitLab’s 401 body', async () => {
    const ok = await fetch(`${fake.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/pipelines`, {
      headers: { Authorization: `Bearer ${FAKE_GITLAB_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-total')).toBe('0');
    const denied = await api('/projects/1/pipelines', {}, 'nope');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ message: '401 Unauthorized' });
  });

  it('answers a throttle like Rack::Attack', async () => {
    fake.rateLimit({}, 1, 17);
    const res = await api('/projects/1/pipelines');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('17');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(res.headers.get('ratelimit-name')).toBe('throttle_authenticated_api');
    expect(await res.text()).toBe('Retry later\n');
  });
});
