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
  /** `external`: a deploy Runway did not make (the watcher recorded it): a change, but no known merge time. */
  source?: 'external';
}

/** An incident between releases (the watcher's): an app Degraded or Missing, until Healthy again. */
export interface IncidentRecord {
  service: string;
  environment: string;
  kind: 'degraded' | 'drift';
  /** Epoch ms: when the app turned bad, and when it was Healthy again (undefined while open). */
  openedAt: number;
  recoveredAt?: number;
}

export interface DoraInput {
  records: ReleaseRecord[];
  /** The service's production environment (its last one), or undefined for an unknown service. */
  productionOf: (service: string) => string | undefined;
  /** Window, epoch milliseconds, both ends included. */
  from: number;
  to: number;
  /** Incidents between releases: MTTR, and a production change an incident follows counts as failed. */
  incidents?: IncidentRecord[];
}

export interface DoraReport {
  from: string;
  to: string;
  windowDays: number;
  deploymentFrequency: { deploys: number; perDay: number };
  leadTime: { samples: number; medianSeconds: number | null; p90Seconds: number | null };
  changeFailureRate: { deploys: number; failures: number; rate: number | null };
  timeToRestore: { samples: number; unrestored: number; medianSeconds: number | null };
  /** From real incidents (Degraded/Missing → Healthy), per `<service>/<environment>` too. */
  meanTimeToRecovery: {
    samples: number;
    open: number;
    meanSeconds: number | null;
    medianSeconds: number | null;
    byEnvironment: Record<string, { samples: number; meanSeconds: number | null }>;
  };
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
  // A change is failed too when a production incident opened after it and before the next production deploy.
  const degraded = (input.incidents ?? []).filter((i) => i.kind === 'degraded');
  const followedByIncident = (e: ProductionEventWithEnv): boolean => {
    const next = events.find((n) => n.record.service === e.record.service && n.at > e.at);
    return degraded.some(
      (i) =>
        i.service === e.record.service &&
        i.environment === e.environment &&
        i.openedAt > e.at &&
        (!next || i.openedAt < next.at),
    );
  };
  const successes = changes.filter((e) => e.outcome === 'success' && !followedByIncident(e));
  const failures = changes.filter((e) => e.outcome === 'failure' || (e.outcome === 'success' && followedByIncident(e)));

  // One sample per change (commit) brought to production, from its authored time; else one from the merge.
  // External deploys have no merge Runway knows of: they count as deploys, not as lead-time samples.
  const leadTimes = successes
    .filter((e) => e.record.source !== 'external')
    .flatMap((e) => {
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
    meanTimeToRecovery: meanTimeToRecovery(degraded, input.from, input.to),
  };
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

/** MTTR: from Degraded to Healthy, for incidents recovered inside the window (every environment). */
export function meanTimeToRecovery(
  incidents: IncidentRecord[],
  from: number,
  to: number,
): DoraReport['meanTimeToRecovery'] {
  const recovered = incidents.filter(
    (i) => i.recoveredAt !== undefined && i.recoveredAt >= from && i.recoveredAt <= to,
  );
  const open = incidents.filter((i) => i.recoveredAt === undefined && i.openedAt <= to).length;
  const durations = recovered.map((i) => i.recoveredAt! - i.openedAt);
  const byEnvironment: Record<string, { samples: number; meanSeconds: number | null }> = {};
  for (const key of new Set(recovered.map((i) => `${i.service}/${i.environment}`))) {
    const mine = recovered
      .filter((i) => `${i.service}/${i.environment}` === key)
      .map((i) => i.recoveredAt! - i.openedAt);
    byEnvironment[key] = { samples: mine.length, meanSeconds: seconds(mean(mine)) };
  }
  return {
    samples: durations.length,
    open,
    meanSeconds: seconds(mean(durations)),
    medianSeconds: seconds(quantile(durations, 0.5)),
    byEnvironment,
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
    ...(timeline.source === 'external' ? { source: 'external' as const } : {}),
    changeCommittedAt: timeline.notes?.length
      ? Object.fromEntries(timeline.notes.map((n) => [n.environment, (n.commitDates ?? []).map((d) => Date.parse(d))]))
      : undefined,
  };
}
