// Over HTTP: /metrics counts webhooks and requests, the worker's notify activity feeds release
// metrics (once per stage, whatever the retries), and DORA is served as JSON and as gauges.
// The steps run in order and share one service: a pipeline-gated release that succeeds, then one
// that rolls itself back.
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsRegistry } from '../../platform/metrics.js';
import { startMetricsServer } from '../../platform/metrics-server.js';
import { createReleaseMetrics } from '../../platform/release-metrics.js';
import { fetchTemporalMetrics } from '../../platform/temporal-metrics.js';
import type { ReleaseTimeline, StageRecord } from '../../domain/types.js';
import { createApiHarness, mergeHook, postWebhook, TOKENS, type ApiHarness } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';
import { freePort } from '../../platform/free-port.js';

let a: ApiHarness;
beforeAll(async () => {
  a = await createApiHarness();
});
afterAll(async () => a?.close());

type Json = Record<string, any>;

const sha = (prefix = '') => prefix + randomBytes(20).toString('hex').slice(prefix.length);

const hook = (body: unknown, headers: Record<string, string> = {}) => postWebhook(a, body, headers);

async function call(path: string, token: string | undefined = TOKENS.reader, method = 'GET', body?: unknown) {
  const res = await fetch(`${a.server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The value of one sample in Prometheus text (labels matched exactly), 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if ((m[2] ?? '').split(',').filter(Boolean).sort().join(',') === wanted) return Number(m[3]);
  }
  return 0;
}

async function registryValue(name: string, labels: Record<string, string>): Promise<number> {
  return sample(
    await metricsRegistry()
      .getSingleMetricAsString(name)
      .catch(() => ''),
    name,
    labels,
  );
}

const status = async (id: string) => (await call(`/api/releases/${encodeURIComponent(id)}`)).body.status as string;

describe('metrics', () => {
  const good = sha();
  let goodId = '';
  const webhookLabels = (event: string, outcome: string) => ({ event, outcome });
  const before: Record<string, number> = {};

  it('counts webhooks by event and outcome', async () => {
    // Read the baseline from the registry: the first scrape comes after the releases.
    for (const outcome of ['started', 'redelivered', 'ignored', 'unauthorized', 'invalid'])
      before[outcome] = await registryValue('runway_webhooks_total', webhookLabels('merge_request', outcome));
    before.signalled = await registryValue('runway_webhooks_total', webhookLabels('pipeline', 'signalled'));

    expect((await hook(mergeHook(a.service, sha()), { 'x-gitlab-token': 'wrong' })).status).toBe(401);
    expect((await hook('{not json')).status).toBe(400);
    expect((await hook(mergeHook(a.service, sha(), { action: 'open' }))).body.ignored).toBeDefined();

    a.h.world.gitlab.setPipeline(good, { id: 77, status: 'running' });
    const started = await hook(mergeHook(a.service, good), { 'idempotency-key': `metrics-${good}` });
    expect(started.status).toBe(202);
    goodId = String(started.body.releaseId);
    expect((await hook(mergeHook(a.service, good), { 'idempotency-key': `metrics-${good}` })).status).toBe(200);

    const handle = a.h.client.workflow.getHandle(goodId);
    await waitFor(async () => {
      const t = await handle.query<ReleaseTimeline>('status');
      return detailsOf(t.stages[0], 'image')?.pipelineStatus === 'running' ? true : undefined;
    });
    a.h.world.registry.publish({ repository: `registry.example.com/acme/${a.service}`, tag: good });
    const pipeline = {
      object_kind: 'pipeline',
      project: {
        id: 4242,
        path_with_namespace: `acme/${a.service}`,
        web_url: `https://gitlab.example.com/acme/${a.service}`,
      },
      object_attributes: { id: 77, sha: good, ref: 'main', status: 'success' },
      builds: [],
    };
    expect((await hook(pipeline, { 'x-gitlab-event': 'Pipeline Hook' })).body.signalled).toEqual([goodId]);
  });

  it('runs the release to success, then one that rolls back', async () => {
    await waitFor(async () => ((await status(goodId)) === 'awaiting_approval' ? true : undefined));
    const approved = await call(`/api/releases/${encodeURIComponent(goodId)}/approve`, TOKENS.approver, 'POST', {
      environment: 'production',
    });
    expect(approved.status).toBe(200);
    // the status turns final before the last notification: wait for the workflow itself to end
    expect(await a.h.client.workflow.getHandle(goodId).result()).toMatchObject({ status: 'succeeded' });

    // an image tag containing "bad" turns staging Degraded: the release reverts itself
    const bad = sha('bad');
    a.h.world.registry.publish({ repository: `registry.example.com/acme/${a.service}`, tag: bad });
    const started = await hook(mergeHook(a.service, bad, { iid: 8 }));
    await expect(a.h.client.workflow.getHandle(String(started.body.releaseId)).result()).rejects.toThrow();
    expect(await status(String(started.body.releaseId))).toBe('rolled_back');
  });

  it('serves everything on /metrics: webhooks, HTTP durations, release metrics, DORA gauges, Node defaults', async () => {
    const res = await fetch(`${a.server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();

    const moved = (labels: Record<string, string>, key: string) =>
      sample(text, 'runway_webhooks_total', labels) - before[key]!;
    expect(moved(webhookLabels('merge_request', 'unauthorized'), 'unauthorized')).toBe(1);
    expect(moved(webhookLabels('merge_request', 'invalid'), 'invalid')).toBe(1);
    expect(moved(webhookLabels('merge_request', 'ignored'), 'ignored')).toBe(1);
    expect(moved(webhookLabels('merge_request', 'started'), 'started')).toBe(2);
    expect(moved(webhookLabels('merge_request', 'redelivered'), 'redelivered')).toBe(1);
    expect(moved(webhookLabels('pipeline', 'signalled'), 'signalled')).toBe(1);

    const http = { method: 'POST', route: '/webhooks/gitlab', status: '202' };
    expect(sample(text, 'runway_http_request_duration_seconds_count', http)).toBeGreaterThanOrEqual(3);
    const approve = { method: 'POST', route: '/api/releases/:id/approve', status: '200' };
    expect(sample(text, 'runway_http_request_duration_seconds_count', approve)).toBeGreaterThanOrEqual(1);

    // worker side (same process): final statuses, stage durations, approval wait, rollbacks
    const service = a.service;
    expect(sample(text, 'runway_releases_total', { service, outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'runway_releases_total', { service, outcome: 'rolled_back' })).toBe(1);
    expect(sample(text, 'runway_rollbacks_total', { service, environment: 'staging', outcome: 'succeeded' })).toBe(1);
    for (const [stage, environment] of [
      ['image', ''],
      ['deploy', 'staging'],
      ['approval', 'production'],
      ['deploy', 'production'],
      ['rollback', 'staging'],
    ]) {
      const count = sample(text, 'runway_stage_duration_seconds_count', { stage: stage!, environment: environment! });
      expect(count, `${stage}:${environment}`).toBeGreaterThanOrEqual(1);
    }
    expect(sample(text, 'runway_approval_wait_seconds_count', { environment: 'production' })).toBeGreaterThanOrEqual(1);

    expect(sample(text, 'runway_dora_deployments_per_day', { service })).toBeCloseTo(1 / 30);
    expect(sample(text, 'runway_dora_lead_time_median_seconds', { service })).toBeGreaterThan(0);
    expect(sample(text, 'runway_dora_change_failure_rate', { service })).toBe(0);
    expect(text).toContain('nodejs_heap_size_total_bytes');
  });

  it('serves DORA for a service and window (role read)', async () => {
    const path = `/api/metrics/dora?service=${a.service}&window=7d`;
    expect((await call(path, '')).status).toBe(401);
    const dora = await call(path);
    expect(dora.status).toBe(200);
    expect(dora.body).toMatchObject({
      service: a.service,
      window: '7d',
      windowDays: 7,
      deploymentFrequency: { deploys: 1 },
      changeFailureRate: { deploys: 1, failures: 0, rate: 0 },
      timeToRestore: { samples: 0 },
      truncated: false,
    });
    expect(dora.body.deploymentFrequency.perDay).toBeGreaterThan(0);
    expect(dora.body.leadTime.medianSeconds).toBeGreaterThan(0);
    expect(dora.body.leadTime.p90Seconds).toBeGreaterThanOrEqual(dora.body.leadTime.medianSeconds);

    const all = await call('/api/metrics/dora');
    expect(all).toMatchObject({ status: 200, body: { service: null, window: '30d' } });
    expect((await call('/api/metrics/dora?service=nope')).status).toBe(404);
    expect((await call('/api/metrics/dora?window=soon')).status).toBe(400);
    expect((await call('/api/metrics/dora?window=400d')).status).toBe(400);
    const doc = (await call('/api/openapi.json')).body;
    expect(doc.paths['/api/metrics/dora'].get.security).toEqual([{ bearer: [] }]);
  });

  it('the worker metrics server serves the same registry, and health', async () => {
    const server = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      metrics: () => metricsRegistry().metrics(),
      health: () => ({ ok: true, worker: 'RUNNING' }),
    });
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(sample(text, 'runway_releases_total', { service: a.service, outcome: 'succeeded' })).toBe(1);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', worker: 'RUNNING' });
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
    // the SDK exporter being down never fails a scrape
    expect(await fetchTemporalMetrics(`127.0.0.1:${(await freePort()).toString()}`)).toMatch(
      /^# temporal sdk metrics unavailable/,
    );
  });
});

describe('release metrics accounting', () => {
  const stage = (
    kind: StageRecord['kind'],
    environment: string | undefined,
    startS: number,
    endS?: number,
  ): StageRecord => ({
    kind,
    environment,
    state: kind === 'rollback' ? 'succeeded' : 'succeeded',
    startedAt: new Date(startS * 1000).toISOString(),
    endedAt: endS === undefined ? undefined : new Date(endS * 1000).toISOString(),
    details: {},
  });
  const timeline = (stages: StageRecord[], status: ReleaseTimeline['status'] = 'running'): ReleaseTimeline => ({
    releaseId: 'release/acct/abc1234',
    service: 'acct',
    commit: 'abc1234',
    status,
    stage: '',
    stages,
    warnings: [],
    links: {},
  });

  it('counts each stage and the final status once, whatever the retries and repeats', async () => {
    const registry = new Registry();
    const metrics = createReleaseMetrics({ registry, notBefore: 0 });
    const t0 = 1_800_000_000;
    const first = timeline([stage('image', undefined, t0, t0 + 2), stage('deploy', 'staging', t0 + 2, t0 + 12)]);
    metrics.observe({ kind: 'deployed', timeline: first });
    metrics.observe({ kind: 'deployed', timeline: first }); // activity retry
    const later = timeline(
      [
        ...first.stages,
        stage('approval', 'production', t0 + 12, t0 + 72),
        stage('deploy', 'production', t0 + 72, t0 + 80),
      ],
      'succeeded',
    );
    metrics.observe({ kind: 'succeeded', timeline: later });
    metrics.observe({ kind: 'succeeded', timeline: later });
    const text = await registry.metrics();
    expect(sample(text, 'runway_stage_duration_seconds_count', { stage: 'deploy', environment: 'staging' })).toBe(1);
    expect(sample(text, 'runway_stage_duration_seconds_sum', { stage: 'deploy', environment: 'staging' })).toBe(10);
    expect(sample(text, 'runway_stage_duration_seconds_count', { stage: 'image', environment: '' })).toBe(1);
    expect(sample(text, 'runway_approval_wait_seconds_sum', { environment: 'production' })).toBe(60);
    expect(sample(text, 'runway_releases_total', { service: 'acct', outcome: 'succeeded' })).toBe(1);
  });

  it('skips stages that ended before the process started (a previous worker counted them)', async () => {
    const registry = new Registry();
    const t0 = 1_800_000_000;
    const metrics = createReleaseMetrics({ registry, notBefore: (t0 + 5) * 1000 });
    metrics.observe({
      kind: 'approval_requested',
      timeline: timeline([stage('image', undefined, t0, t0 + 2), stage('deploy', 'staging', t0 + 2, t0 + 12)]),
    });
    const text = await registry.metrics();
    expect(sample(text, 'runway_stage_duration_seconds_count', { stage: 'image', environment: '' })).toBe(0);
    expect(sample(text, 'runway_stage_duration_seconds_count', { stage: 'deploy', environment: 'staging' })).toBe(1);
  });
});
