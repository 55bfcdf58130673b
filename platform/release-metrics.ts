// Worker-side release metrics, fed by the `notify` activity: every notification carries the whole
// timeline, so stage durations, approval waits, rollbacks and final statuses are read from it when
// they first appear. Accounting is idempotent per (release, stage): activity retries and the
// repeated timeline in later notifications never count anything twice.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ReleaseTimeline } from '../domain/types.js';
import { metricsRegistry } from './metrics.js';
import { RecentKeys } from './recent-keys.js';

const FINAL_KINDS = new Set(['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'ended']);
const TIMED_STAGES = new Set(['image', 'deploy', 'approval', 'rollback']);

export interface ReleaseMetrics {
  observe(notification: { kind: string; timeline: ReleaseTimeline }): void;
}

export interface ReleaseMetricsOptions {
  registry?: Registry;
  /**
   * Stages that ended before this instant (epoch ms) are skipped: after a worker restart the next
   * notification repeats the timeline, whose earlier stages the previous process already counted.
   */
  notBefore?: number;
  /** How many (release, stage) keys to remember. */
  capacity?: number;
}

function instruments(registry: Registry) {
  const registers = [registry];
  const get = <T>(name: string, create: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? create();
  return {
    releases: get(
      'runway_releases_total',
      () =>
        new Counter({
          name: 'runway_releases_total',
          help: 'Releases (and rollback workflows) that ended, by final status',
          labelNames: ['service', 'outcome'] as const,
          registers,
        }),
    ),
    stages: get(
      'runway_stage_duration_seconds',
      () =>
        new Histogram({
          name: 'runway_stage_duration_seconds',
          help: 'Duration of ended release stages (image, deploy, approval, rollback)',
          labelNames: ['stage', 'environment'] as const,
          buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
          registers,
        }),
    ),
    approvalWait: get(
      'runway_approval_wait_seconds',
      () =>
        new Histogram({
          name: 'runway_approval_wait_seconds',
          help: 'Time a release waited for an approval decision (or its expiry)',
          labelNames: ['environment'] as const,
          buckets: [30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200],
          registers,
        }),
    ),
    rollbacks: get(
      'runway_rollbacks_total',
      () =>
        new Counter({
          name: 'runway_rollbacks_total',
          help: 'Automatic rollbacks (saga compensations) by outcome: succeeded or failed',
          labelNames: ['service', 'environment', 'outcome'] as const,
          registers,
        }),
    ),
  };
}

export function createReleaseMetrics(options: ReleaseMetricsOptions = {}): ReleaseMetrics {
  const m = instruments(options.registry ?? metricsRegistry());
  const seen = new RecentKeys(options.capacity ?? 20_000);
  const notBefore = options.notBefore ?? performance.timeOrigin; // when this process started

  return {
    observe({ kind, timeline }) {
      const { releaseId, service } = timeline;
      timeline.stages.forEach((stage, index) => {
        if (!TIMED_STAGES.has(stage.kind) || !stage.startedAt || !stage.endedAt) return;
        // Stages are only ever appended, so the index identifies a stage for the whole release.
        if (!seen.add(`${releaseId}#${index}`)) return;
        const ended = Date.parse(stage.endedAt);
        if (ended < notBefore) return;
        const environment = stage.environment ?? '';
        const seconds = Math.max(0, (ended - Date.parse(stage.startedAt)) / 1000);
        m.stages.observe({ stage: stage.kind, environment }, seconds);
        if (stage.kind === 'approval') m.approvalWait.observe({ environment }, seconds);
        if (stage.kind === 'rollback') m.rollbacks.inc({ service, environment, outcome: stage.state });
      });
      if (FINAL_KINDS.has(kind) && seen.add(`${releaseId}#final`)) {
        const lastEnd = Math.max(0, ...timeline.stages.map((s) => (s.endedAt ? Date.parse(s.endedAt) : 0)));
        if (lastEnd === 0 || lastEnd >= notBefore) m.releases.inc({ service, outcome: timeline.status });
      }
    },
  };
}

let processMetrics: ReleaseMetrics | undefined;

/** The process's release metrics on the shared registry. */
export function releaseMetrics(): ReleaseMetrics {
  processMetrics ??= createReleaseMetrics();
  return processMetrics;
}
