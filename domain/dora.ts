// DORA's four keys from release records. Pure: the caller loads the records (releases and their
// timelines) and says which environment is production for each service.
import type { ReleaseTimeline, StageState } from './types.js';
import { releaseIdKind } from './ids.js';

export const DAY_MS = 86_400_000;

/** Final statuses that make a production change a failed one. */
export const FAILED_STATUSES: readonly string[] = ['failed', 'rolled_back', 'rollback_failed'];

export interface DeployRecord {
  environment: string;
  state: StageState;
  /** Epoch milliseconds. */
  startedAt?: number;
  endedAt?: number;
}

export interface ReleaseRecord {
  releaseId: string;
  service: string;
  /** A rollback workflow restores a version; it is not a change of its own. */
  kind: 'release' | 'rollback';
  /** When the release started: the merge time, give or take the webhook's milliseconds. */
  startedAt: number;
  /** The release's final (or current) ReleaseStatus. */
  status: string;
  deploys: DeployRecord[];
  /**
   * Per environment, the authored times (epoch ms) of the commits the release brought there (its release
   * notes). DORA's lead time for changes runs from each commit to production; without them, from the merge.
   */
  changeCommittedAt?: Record<string, number[]>;
}

export interface DoraInput {
  records: ReleaseRecord[];
  /** The service's production environment (its last one), or undefined for an unknown service. */
  productionOf: (service: string) => string | undefined;
  /** Window, epoch milliseconds, both ends included. */
  from: number;
  to: number;
}

export interface DoraReport {
  from: string;
  to: string;
  windowDays: number;
  deploymentFrequency: { deploys: number; perDay: number };
  leadTime: { samples: number; medianSeconds: number | null; p90Seconds: number | null };
  changeFailureRate: { deploys: number; failures: number; rate: number | null };
  timeToRestore: { samples: number; unrestored: number; medianSeconds: number | null };
}

/** One production change (or rollback) and how it ended. */
interface ProductionEvent {
  record: ReleaseRecord;
  at: number;
  outcome: 'success' | 'failure';
}

/** Quantile by linear interpolation between closest ranks (numpy's default); null without samples. */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lower = Math.floor(pos);
  const upper = Math.ceil(pos);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (pos - lower);
}

interface ProductionEventWithEnv extends ProductionEvent {
  environment: string;
}

function productionEvent(record: ReleaseRecord, production: string): ProductionEventWithEnv | undefined {
  const deploy = record.deploys.filter((d) => d.environment === production && d.endedAt !== undefined).at(-1);
  if (!deploy) return undefined;
  const environment = production;
  if (FAILED_STATUSES.includes(record.status)) return { record, at: deploy.endedAt!, outcome: 'failure', environment };
  if (deploy.state === 'succeeded') return { record, at: deploy.endedAt!, outcome: 'success', environment };
  return undefined; // cancelled: neither a delivered change nor a failed one
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

export function computeDora(input: DoraInput): DoraReport {
  const events: ProductionEventWithEnv[] = [];
  for (const record of input.records) {
    const production = input.productionOf(record.service);
    const event = production ? productionEvent(record, production) : undefined;
    if (event) events.push(event);
  }
  events.sort((a, b) => a.at - b.at);
  const inWindow = (e: ProductionEventWithEnv) => e.at >= input.from && e.at <= input.to;
  const changes = events.filter((e) => e.record.kind === 'release' && inWindow(e));
  const successes = changes.filter((e) => e.outcome === 'success');
  const failures = changes.filter((e) => e.outcome === 'failure');

  // One sample per change (commit) brought to production, from its authored time; else one from the merge.
  const leadTimes = successes.flatMap((e) => {
    const commits = e.record.changeCommittedAt?.[e.environment]?.filter((t) => Number.isFinite(t) && t <= e.at);
    return commits?.length ? commits.map((t) => e.at - t) : [e.at - e.record.startedAt];
  });
  // Each failed change is restored by the next successful production deploy (release or rollback).
  const restores: number[] = [];
  let unrestored = 0;
  for (const failure of failures) {
    const next = events.find(
      (e) => e.outcome === 'success' && e.record.service === failure.record.service && e.at > failure.at,
    );
    if (next) restores.push(next.at - failure.at);
    else unrestored++;
  }

  const windowDays = (input.to - input.from) / DAY_MS;
  const decided = successes.length + failures.length;
  return {
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    windowDays,
    deploymentFrequency: { deploys: successes.length, perDay: windowDays > 0 ? successes.length / windowDays : 0 },
    leadTime: {
      samples: leadTimes.length,
      medianSeconds: seconds(quantile(leadTimes, 0.5)),
      p90Seconds: seconds(quantile(leadTimes, 0.9)),
    },
    changeFailureRate: {
      deploys: decided,
      failures: failures.length,
      rate: decided ? failures.length / decided : null,
    },
    timeToRestore: { samples: restores.length, unrestored, medianSeconds: seconds(quantile(restores, 0.5)) },
  };
}

/** A record from a release's timeline; `startedAt` comes from Temporal (the workflow's start time). */
export function releaseRecord(
  timeline: ReleaseTimeline,
  startedAt: number,
  kind: ReleaseRecord['kind'] = releaseIdKind(timeline.releaseId) === 'rollback' ? 'rollback' : 'release',
): ReleaseRecord {
  const ms = (iso?: string) => (iso ? Date.parse(iso) : undefined);
  return {
    releaseId: timeline.releaseId,
    service: timeline.service,
    kind,
    startedAt,
    status: timeline.status,
    deploys: timeline.stages
      .filter((s) => s.kind === 'deploy' && s.environment)
      .map((s) => ({
        environment: s.environment!,
        state: s.state,
        startedAt: ms(s.startedAt),
        endedAt: ms(s.endedAt),
      })),
    changeCommittedAt: timeline.notes?.length
      ? Object.fromEntries(timeline.notes.map((n) => [n.environment, (n.commitDates ?? []).map((d) => Date.parse(d))]))
      : undefined,
  };
}
