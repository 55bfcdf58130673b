// DORA's four keys on hand-made histories whose answers are worked out by hand.
import { describe, expect, it } from 'vitest';
import { computeDora, quantile, releaseRecord, type ReleaseRecord } from '../../domain/dora.js';
import type { ReleaseTimeline } from '../../domain/types.js';

const H = 3_600_000;
const D = 24 * H;
const T = Date.UTC(2026, 0, 31);
const from = T - 10 * D;

let n = 0;
function record(
  service: string,
  startedAt: number,
  status: string,
  deploys: [environment: string, state: 'succeeded' | 'failed' | 'cancelled', endedAt: number][],
  kind: ReleaseRecord['kind'] = 'release',
): ReleaseRecord {
  return {
    releaseId: `${kind}/${service}/${++n}`,
    service,
    kind,
    startedAt,
    status,
    deploys: deploys.map(([environment, state, endedAt]) => ({
      environment,
      state,
      startedAt: endedAt - 60_000,
      endedAt,
    })),
  };
}

const productionOf = (service: string) => ({ pay: 'production', search: 'prod' })[service];

// pay: three good changes, two failed ones (both restored), plus noise that must not count.
const pay = [
  record('pay', T - 9 * D, 'succeeded', [
    ['staging', 'succeeded', T - 9 * D + 0.5 * H],
    ['production', 'succeeded', T - 9 * D + 1 * H],
  ]),
  record('pay', T - 8 * D, 'succeeded', [['production', 'succeeded', T - 8 * D + 3 * H]]),
  record('pay', T - 7 * D, 'rolled_back', [
    ['staging', 'succeeded', T - 7 * D + H],
    ['production', 'failed', T - 7 * D + 2 * H],
  ]),
  record('pay', T - 7 * D + 3 * H, 'succeeded', [['production', 'succeeded', T - 7 * D + 5 * H]]),
  record('pay', T - 2 * D - H, 'rollback_failed', [['production', 'failed', T - 2 * D]]),
  // a rollback workflow: restores production, but is not a change of its own
  record('pay', T - D - H, 'succeeded', [['production', 'succeeded', T - D]], 'rollback'),
  // failed in staging: never reached production
  record('pay', T - 3 * D, 'rolled_back', [['staging', 'failed', T - 3 * D + H]]),
  // cancelled during the production deploy: neither delivered nor failed
  record('pay', T - 4 * D, 'cancelled', [['production', 'cancelled', T - 4 * D + H]]),
  // before the window
  record('pay', T - 20 * D, 'succeeded', [['production', 'succeeded', T - 19 * D]]),
  // rejected at the production gate: no production deploy stage
  record('pay', T - 5 * D, 'rejected', [['staging', 'succeeded', T - 5 * D + H]]),
];

describe('quantile', () => {
  it('interpolates between closest ranks', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('computeDora', () => {
  it('computes the four keys for one service', () => {
    const report = computeDora({ records: pay, productionOf, from, to: T });
    expect(report.windowDays).toBe(10);
    expect(report.deploymentFrequency).toEqual({ deploys: 3, perDay: 0.3 });
    // lead times 1h, 3h, 2h
    expect(report.leadTime.samples).toBe(3);
    expect(report.leadTime.medianSeconds).toBe(2 * 3600);
    expect(report.leadTime.p90Seconds).toBeCloseTo(2.8 * 3600);
    // 2 failed of 5 decided production changes
    expect(report.changeFailureRate).toEqual({ deploys: 5, failures: 2, rate: 0.4 });
    // restored after 3h (the next release) and 24h (the rollback workflow): median 13.5h
    expect(report.timeToRestore).toEqual({ samples: 2, unrestored: 0, medianSeconds: 13.5 * 3600 });
  });

  it('keeps services apart: a failure is only restored by its own service; production is per service', () => {
    const search = [
      record('search', T - 6 * D, 'rolled_back', [['prod', 'failed', T - 6 * D + H]]),
      // "production" is not search's production environment
      record('search', T - 5 * D, 'succeeded', [['production', 'succeeded', T - 5 * D + H]]),
    ];
    const unknown = [record('ghost', T - D, 'succeeded', [['production', 'succeeded', T - D + H]])];
    const report = computeDora({ records: [...pay, ...search, ...unknown], productionOf, from, to: T });
    expect(report.deploymentFrequency.deploys).toBe(3);
    expect(report.changeFailureRate).toEqual({ deploys: 6, failures: 3, rate: 0.5 });
    expect(report.timeToRestore).toMatchObject({ samples: 2, unrestored: 1 });
  });

  it('counts a change by when its production deploy ended, with both window ends included', () => {
    const edge = [
      record('pay', from - 2 * D, 'succeeded', [['production', 'succeeded', from]]),
      record('pay', T - H, 'succeeded', [['production', 'succeeded', T]]),
      record('pay', from - 2 * D, 'succeeded', [['production', 'succeeded', from - 1]]),
    ];
    const report = computeDora({ records: edge, productionOf, from, to: T });
    expect(report.deploymentFrequency.deploys).toBe(2);
    expect(report.leadTime.medianSeconds).toBe((2 * D + H) / 2 / 1000);
  });

  it('answers zeros and nulls for an empty window', () => {
    const report = computeDora({ records: pay, productionOf, from: T + D, to: T + 8 * D });
    expect(report).toMatchObject({
      windowDays: 7,
      deploymentFrequency: { deploys: 0, perDay: 0 },
      leadTime: { samples: 0, medianSeconds: null, p90Seconds: null },
      changeFailureRate: { deploys: 0, failures: 0, rate: null },
      timeToRestore: { samples: 0, unrestored: 0, medianSeconds: null },
    });
    expect(computeDora({ records: [], productionOf, from, to: T }).deploymentFrequency.perDay).toBe(0);
  });
});

describe('releaseRecord', () => {
  it('reads deploy stages and tells rollbacks from releases by id', () => {
    const timeline: ReleaseTimeline = {
      releaseId: 'rollback/pay/production/1700000000000',
      service: 'pay',
      commit: 'abc',
      status: 'succeeded',
      stage: 'finish',
      warnings: [],
      links: {},
      stages: [
        {
          kind: 'image',
          state: 'skipped',
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:01.000Z',
          details: {},
        },
        {
          kind: 'deploy',
          environment: 'production',
          state: 'succeeded',
          startedAt: '2026-01-01T00:00:01.000Z',
          endedAt: '2026-01-01T00:05:00.000Z',
          details: {},
        },
      ],
    };
    const r = releaseRecord(timeline, Date.parse('2026-01-01T00:00:00.000Z'));
    expect(r).toMatchObject({ kind: 'rollback', service: 'pay', status: 'succeeded' });
    expect(r.deploys).toEqual([
      {
        environment: 'production',
        state: 'succeeded',
        startedAt: Date.parse('2026-01-01T00:00:01.000Z'),
        endedAt: Date.parse('2026-01-01T00:05:00.000Z'),
      },
    ]);
    expect(releaseRecord({ ...timeline, releaseId: 'release/pay/abc' }, 0).kind).toBe('release');
  });
});

describe('lead time for changes from each commit (release notes)', () => {
  it('takes one sample per commit brought to production, from its authored time', () => {
    const r = record('pay', T - 2 * D, 'succeeded', [['production', 'succeeded', T - 2 * D + 1 * H]]);
    // Two commits: authored 5 h and 3 h before production; staging's list must not count.
    r.changeCommittedAt = { production: [T - 2 * D - 4 * H, T - 2 * D - 2 * H], staging: [T - 9 * D] };
    const report = computeDora({ records: [r], productionOf, from, to: T });
    expect(report.leadTime.samples).toBe(2);
    expect(report.leadTime.medianSeconds).toBe((4 * H) / 1000);
  });

  it('reads the commit times from the timeline notes', () => {
    const timeline = {
      releaseId: 'release/pay/abc',
      service: 'pay',
      commit: 'abc',
      status: 'succeeded',
      stage: 'finish',
      stages: [],
      warnings: [],
      links: {},
      notes: [
        {
          environment: 'production',
          to: 'abc',
          changes: [],
          more: 0,
          commitCount: 1,
          commitDates: ['2026-01-01T00:00:00Z'],
        },
      ],
    } satisfies ReleaseTimeline;
    expect(releaseRecord(timeline, 0).changeCommittedAt).toEqual({ production: [Date.UTC(2026, 0, 1)] });
  });
});
