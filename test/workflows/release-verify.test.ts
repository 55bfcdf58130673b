// Verification after Healthy, against a real Prometheus scraping an exporter whose error ratio the test sets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient } from '../../integrations/prometheus.js';
import { fillCheckTemplate, queryLink } from '../../domain/verify.js';
import type { EnvironmentPlan, ReleasePlan, VerifyPlan } from '../../domain/types.js';
import { statusQuery } from '../../workflows/messages.js';
import {
  createHarness,
  seedEnvironments,
  start,
  testPlan,
  waitFor,
  type Harness,
  type RunningWorker,
} from '../support/harness.js';
import { ERROR_RATIO_QUERY, startPrometheus, type TestPrometheus } from '../support/prometheus.js';
import { detailsOf } from '../support/stages.js';

let prom: TestPrometheus;
let h: Harness;
let firstWorker: RunningWorker;
beforeAll(async () => {
  prom = await startPrometheus();
  h = await createHarness({ deps: { prometheus: createPrometheusClient({ url: prom.url }) } });
  firstWorker = await h.startWorker();
}, 90_000);
afterAll(async () => {
  await h?.close();
  await prom?.stop();
});

function verifiedPlan(verify: Partial<VerifyPlan> = {}, extra: Partial<EnvironmentPlan> = {}): ReleasePlan {
  const plan = testPlan();
  const staging = plan.environments[0]!;
  const query = fillCheckTemplate(ERROR_RATIO_QUERY, {
    service: plan.service,
    environment: 'staging',
    sha: plan.commit.sha,
  });
  const env: EnvironmentPlan = {
    ...staging,
    verify: {
      durationMs: 3_000,
      intervalMs: 1_000,
      failureLimit: 0,
      inconclusive: 'fail',
      checks: [
        { name: 'error-rate', prometheus: query, max: 0.01, queryUrl: queryLink(query, { prometheusUrl: prom.url }) },
      ],
      ...verify,
    },
    ...extra,
  };
  return { ...plan, environments: [env] };
}

async function ready(plan: ReleasePlan, ratio?: number) {
  seedEnvironments(h.world, plan);
  h.world.registry.publish(plan.image);
  if (ratio !== undefined) {
    prom.exporter.setErrorRatio(plan.service, 'staging', ratio);
    await prom.waitForData(plan.environments[0]!.verify!.checks[0]!.prometheus!);
  }
}

/** The release's failure message (the WorkflowFailedError's cause). */
async function failureOf(handle: { result(): Promise<unknown> }): Promise<string> {
  const err = (await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { cause?: Error }) | undefined;
  return err?.cause?.message ?? err?.message ?? 'no failure';
}

const stages = (t: { stages: { kind: string; environment?: string; state: string }[] }) =>
  t.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`);

describe('release: verify', () => {
  it('a good release passes every evaluation and succeeds', async () => {
    const plan = verifiedPlan();
    await ready(plan, 0.002);
    const { handle } = await start(h, plan);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(stages(result.timeline)).toEqual(['image::skipped', 'deploy:staging:succeeded', 'verify:staging:succeeded']);
    const verify = result.timeline.stages.find((s) => s.kind === 'verify')!;
    expect(verify.details.evaluations).toBe('3/3');
    expect(String(verify.details['values:error-rate']).split(', ')).toHaveLength(3);
    expect(verify.details.summary).toMatch(/^error-rate 0\.2 % ≤ 1 %, 3 of 3 evaluations$/);
    // Live progress went to the release message while the window ran.
    const progress = h.world.slack.notifications.filter(
      (n) => n.timeline.releaseId === plan.releaseId && n.kind === 'progress',
    );
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(
      progress.some((n) => /1 of 3 evaluations/.test(String(detailsOf(n.timeline.stages.at(-1), 'verify')?.summary))),
    ).toBe(true);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe(plan.image.tag);
  });

  it('a bad release fails the check and is rolled back, with the values, threshold and query link', async () => {
    const plan = verifiedPlan({ failureLimit: 1 });
    await ready(plan, 0.2);
    const { handle } = await start(h, plan);
    expect(await failureOf(handle)).toMatch(/check "error-rate" failed/);
    const t = await handle.query(statusQuery);
    expect(t.status).toBe('rolled_back');
    expect(stages(t)).toEqual([
      'image::skipped',
      'deploy:staging:failed',
      'verify:staging:failed',
      'rollback:staging:succeeded',
    ]);
    // failureLimit 1: the second failed evaluation fails the check.
    const verify = t.stages.find((s) => s.kind === 'verify')!;
    expect(verify.details.evaluations).toBe('2/3');
    expect(verify.details.values).toMatch(/^20 %, 20 %$/);
    expect(t.error).toMatch(/check "error-rate" failed in staging: 20 %, expected ≤ 1 %; values: 20 %, 20 %/);
    expect(t.error).toContain(`${prom.url}/graph?g0.expr=`);
    expect(t.links['query:error-rate:staging']).toContain(`${prom.url}/graph?g0.expr=`);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v1.0.0');
    const note = h.world.gitlab.notes.find((n) => n.projectId === plan.project.id);
    expect(note?.body).toContain('check "error-rate" failed');
    expect(note?.body).toContain('20 %, 20 %');
    const final = h.world.slack.notifications.find(
      (n) => n.timeline.releaseId === plan.releaseId && n.kind === 'rolled_back',
    );
    expect(final?.timeline.error).toContain('error-rate');
  });

  it('a query without data is inconclusive: fails by default, passes when configured so', async () => {
    const failing = verifiedPlan({ durationMs: 1_000 });
    await ready(failing); // no traffic for this service: the query has no data
    const { handle } = await start(h, failing);
    expect(await failureOf(handle)).toMatch(/no data \(inconclusive counts as failed\)/);
    expect((await handle.query(statusQuery)).status).toBe('rolled_back');

    const passing = verifiedPlan({ durationMs: 2_000, inconclusive: 'pass' });
    await ready(passing);
    const ok = await (await start(h, passing)).handle.result();
    expect(ok.status).toBe('succeeded');
    expect(ok.timeline.stages.find((s) => s.kind === 'verify')?.details.summary).toMatch(/error-rate: no data/);
  });

  it('an HTTP check that answers the wrong status rolls back', async () => {
    const plan = verifiedPlan({
      durationMs: 1_000,
      checks: [{ name: 'smoke', http: { url: `${prom.exporter.url}/healthz/x/staging`, expectStatus: 200 } }],
    });
    prom.exporter.setHealth('x', 'staging', 500);
    await ready(plan);
    const { handle } = await start(h, plan);
    expect(await failureOf(handle)).toMatch(/check "smoke" failed in staging: HTTP 500, expected HTTP 200/);
  });

  it('a worker restart mid-window resumes the window instead of restarting it', async () => {
    const plan = verifiedPlan({ durationMs: 6_000 });
    await ready(plan, 0.001);
    const { handle } = await start(h, plan);
    const verifyStage = async () => (await handle.query(statusQuery)).stages.find((s) => s.kind === 'verify');
    await waitFor(async () => (await verifyStage())?.details.evaluations === '2/6' || undefined, 30_000);
    const startedAt = (await verifyStage())!.startedAt;
    await firstWorker.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    await h.startWorker();
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    const stagesAfter = result.timeline.stages.filter((s) => s.kind === 'verify');
    expect(stagesAfter).toHaveLength(1);
    expect(stagesAfter[0]!.startedAt).toBe(startedAt);
    expect(stagesAfter[0]!.details.evaluations).toBe('6/6');
    expect(String(stagesAfter[0]!.details['values:error-rate']).split(', ')).toHaveLength(6);
    // Resumed: the 4 remaining evaluations, not 6 more. Counted in the history, not timed (a busy machine is slow).
    const { events } = await handle.fetchHistory();
    const evaluations = (events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateChecks',
    );
    expect(evaluations).toHaveLength(6);
  });

  it('soak delays the next environment', async () => {
    const base = testPlan();
    const [staging, production] = base.environments;
    const plan: ReleasePlan = {
      ...base,
      environments: [
        { ...staging!, soakMs: 1_500 },
        { ...production!, approval: undefined },
      ],
    };
    await ready(plan);
    const result = await (await start(h, plan)).handle.result();
    expect(result.status).toBe('succeeded');
    expect(stages(result.timeline)).toEqual([
      'image::skipped',
      'deploy:staging:succeeded',
      'soak:staging:succeeded',
      'deploy:production:succeeded',
    ]);
    const soak = result.timeline.stages.find((s) => s.kind === 'soak')!;
    const prodStart = Date.parse(result.timeline.stages.at(-1)!.startedAt!);
    expect(prodStart - Date.parse(soak.startedAt!)).toBeGreaterThanOrEqual(1_500);
  });
});
