// Stage details are typed by stage kind (domain/stage-details.ts): a deploy's details cannot be read as a canary's,
// readers switch on the kind instead of reading any key, and what saved histories hold (older releases included)
// fits the types and the OpenAPI document. The `@ts-expect-error` lines are checked by `npm run typecheck`.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { STAGE_DETAIL_FIELDS, StageSchema } from '../../api/routes/stage-schemas.js';
import { mergeRequestComment } from '../../domain/comment.js';
import {
  STAGE_KINDS,
  deployedImages,
  stageSummary,
  type CanaryStageDetails,
  type DeployStageDetails,
} from '../../domain/stage-details.js';
import type { ReleaseTimeline, StageOf, StageRecord } from '../../domain/types.js';
import { testPlan } from '../support/plans.js';

describe('stage details, typed by kind', () => {
  it('a deploy stage (which holds the Argo CD sync details) cannot be read as a canary', () => {
    const deploy: StageOf<'deploy'> = {
      kind: 'deploy',
      state: 'running',
      details: { argocdUrl: 'https://argocd.example.com/applications/payments-staging', health: 'Healthy' },
    };
    // @ts-expect-error -- `gate` is a canary's detail, not a deploy's
    expect(deploy.details.gate).toBeUndefined();
    // @ts-expect-error -- a deploy's details are not a canary's
    const asCanary: CanaryStageDetails = deploy.details;
    expect(asCanary).toBe(deploy.details);
    expectTypeOf<DeployStageDetails>().not.toHaveProperty('gate');
    expectTypeOf<CanaryStageDetails>().toHaveProperty('gate');
    expectTypeOf<DeployStageDetails['health']>().toEqualTypeOf<string | undefined>();
  });

  it('a stage of unknown kind offers no kind-specific detail until narrowed on its kind', () => {
    const stage = JSON.parse('{"kind":"canary","state":"running","details":{"gate":"waiting"}}') as StageRecord;
    // @ts-expect-error -- not every kind records a gate
    expect(stage.details.gate).toBe('waiting');
    if (stage.kind !== 'canary') throw new Error('a canary stage');
    expectTypeOf(stage.details.gate).toEqualTypeOf<'waiting' | undefined>();
    expect(stage.details.gate).toBe('waiting');
  });

  it('the one-line summary comes from the kinds that keep one, whatever else a stage carries', () => {
    const window: StageRecord = { kind: 'window', state: 'running', details: { summary: 'queued: frozen' } };
    expect(stageSummary(window)).toBe('queued: frozen');
    // A deploy never records a summary: a stray key in stored JSON is not shown as one.
    const deploy = JSON.parse('{"kind":"deploy","state":"running","details":{"summary":"x"}}') as StageRecord;
    expect(stageSummary(deploy)).toBeUndefined();
  });

  it('deployed images: a deploy names the new and the replaced image, a rollback what it restored', () => {
    expect(
      deployedImages({ kind: 'deploy', state: 'succeeded', details: { image: 'r/p:2', previousImage: 'r/p:1' } }),
    ).toEqual({ image: 'r/p:2', previous: 'r/p:1' });
    expect(deployedImages({ kind: 'rollback', state: 'succeeded', details: { to: 'r/p:1', from: 'r/p:2' } })).toEqual({
      image: 'r/p:1',
    });
    expect(deployedImages({ kind: 'image', state: 'succeeded', details: { image: 'r/p:2' } })).toBeUndefined();
  });

  it("the merge request comment shows each kind's own details", () => {
    const plan = testPlan({ service: 'payments', sha: 'abcdef0123456789abcdef0123456789abcdef01' });
    const stages: StageRecord[] = [
      { kind: 'image', state: 'skipped', details: { image: 'r/p:2', buildSkipped: true } },
      {
        kind: 'window',
        environment: 'production',
        state: 'succeeded',
        details: { forcedBy: 'U1', forceReason: 'hotfix', summary: 'forced through' },
      },
      { kind: 'approval', environment: 'production', state: 'succeeded', details: { decidedBy: 'U2' } },
      {
        kind: 'deploy',
        environment: 'production',
        state: 'failed',
        details: { previousImage: 'r/p:1', infraCommit: '0123456789abcdef', error: 'Degraded' },
      },
      { kind: 'verify', environment: 'staging', state: 'failed', details: { summary: '3 of 3', error: 'too slow' } },
      { kind: 'soak', environment: 'staging', state: 'succeeded', details: { summary: 'soaking' } },
      { kind: 'rollback', environment: 'production', state: 'succeeded', details: { infraCommit: 'fedcba9876543210' } },
    ];
    const timeline: ReleaseTimeline = {
      releaseId: plan.releaseId,
      service: 'payments',
      commit: plan.commit.sha,
      status: 'rolled_back',
      stage: 'rollback:production',
      stages,
      warnings: [],
      links: {},
    };
    const rows = mergeRequestComment(plan, timeline)
      .split('\n')
      .filter((l) => /^\| (image|window|approval|deploy|verify|soak|rollback) /.test(l));
    expect(rows).toEqual([
      '| image |  | skipped | build skipped: image already in registry |',
      '| window | production | succeeded | forced by U1: hotfix |',
      '| approval | production | succeeded | by U2 |',
      '| deploy | production | failed | from `r/p:1`, infra 01234567, error: Degraded |',
      '| verify | staging | failed | error: too slow |',
      '| soak | staging | succeeded | soaking |',
      '| rollback | production | succeeded | infra fedcba98 |',
    ]);
  });
});

/** The timelines a saved history holds: its result, and every timeline written into its memo. */
function recordedStages(file: string): StageRecord[] {
  interface Payload {
    data?: string;
  }
  const history = JSON.parse(readFileSync(file, 'utf8')) as {
    events: {
      workflowExecutionCompletedEventAttributes?: { result?: { payloads?: Payload[] } };
      workflowPropertiesModifiedEventAttributes?: { upsertedMemo?: { fields?: Record<string, Payload> } };
    }[];
  };
  const payloads = history.events.flatMap((e) => [
    ...(e.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
    ...Object.values(e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {}),
  ]);
  return payloads.flatMap((p) => {
    const value = JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8') || 'null') as unknown;
    const timeline = (value as { timeline?: unknown } | null)?.timeline ?? value;
    const stages = (timeline as { stages?: unknown } | null)?.stages;
    return Array.isArray(stages) ? (stages as StageRecord[]) : [];
  });
}

describe('what saved histories hold fits the stage types', () => {
  const dir = fileURLToPath(new URL('../histories/', import.meta.url));
  const stages = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => recordedStages(dir + f).map((stage) => ({ file: f, stage })));

  it('finds stages of most kinds to check', () => {
    const kinds = new Set(stages.map((s) => s.stage.kind));
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(['approval', 'deploy', 'image', 'queue', 'soak', 'verify', 'window']),
    );
    for (const kind of kinds) expect(STAGE_KINDS).toContain(kind);
  });

  it('every recorded stage is valid for the OpenAPI document and names only the details of its kind', () => {
    for (const { file, stage } of stages) {
      const parsed = StageSchema.safeParse(stage);
      expect(parsed.success, `${file}: ${stage.kind} ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      const named = Object.keys(STAGE_DETAIL_FIELDS[stage.kind].shape);
      const checkValues = stage.kind === 'verify' || stage.kind === 'canary';
      const unknown = Object.keys(stage.details).filter(
        (key) => !named.includes(key) && !(checkValues && key.startsWith('values:')),
      );
      expect(unknown, `${file}: ${stage.kind}`).toEqual([]);
    }
  });

  it('the document refuses a kind no stage has and wrongly typed details', () => {
    expect(StageSchema.safeParse({ kind: 'finish', state: 'succeeded', details: {} }).success).toBe(false);
    expect(StageSchema.safeParse({ kind: 'approval', state: 'failed', details: { decision: 'maybe' } }).success).toBe(
      false,
    );
    expect(StageSchema.safeParse({ kind: 'verify', state: 'running', details: { 'values:p95': 3 } }).success).toBe(
      false,
    );
  });
});
