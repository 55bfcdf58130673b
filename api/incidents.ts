// Incidents for the front doors (REST, Slack): read from each watcher's memo with describe(), which the Temporal
// server answers without a worker (a slow or stopped worker does not hide open incidents), and silences sent to
// the watcher of the environment's Argo CD instance as a signal (signal-with-start: durable even before the
// worker has started its watcher).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { parseDuration } from '../config/duration.js';
import { findService, type RunwayConfig } from '../config/schema.js';
import { DEFAULT_WATCH_INTERVAL_MS, watchedInstances, watcherId } from '../config/watch-targets.js';
import { pollNowSignal, silenceSignal, type IncidentSummary, type WatcherMemo } from '../workflows/watch-messages.js';
import type { IncidentRecord } from '../domain/dora.js';
import type { ApiContext } from './context.js';
import { InvalidRequestError, NotFoundError } from './release-service.js';
import type { TemporalAvailability } from './temporal-availability.js';

export interface WatcherStatus {
  instance: string;
  workflowId: string;
  running: boolean;
  /** Argo CD could not be read since then ("cannot watch"). */
  outageSince?: string;
}

export interface IncidentList {
  open: IncidentSummary[];
  recent: IncidentSummary[];
  watchers: WatcherStatus[];
}

/** Longest silence one command may set. */
const MAX_SILENCE_MS = 7 * 86_400_000;

export class IncidentService {
  constructor(
    private readonly client: Client,
    private readonly config: RunwayConfig,
    private readonly temporal: TemporalAvailability,
  ) {}

  private get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  async list(): Promise<IncidentList> {
    const out: IncidentList = { open: [], recent: [], watchers: [] };
    for (const instance of watchedInstances(this.config)) {
      const workflowId = watcherId(instance, this.taskQueue);
      try {
        const description = await this.temporal.call(() => this.client.workflow.getHandle(workflowId).describe());
        const memo = description.memo?.incidents as WatcherMemo | undefined;
        out.open.push(...(memo?.open ?? []));
        out.recent.push(...(memo?.recent ?? []));
        out.watchers.push({
          instance,
          workflowId,
          running: description.status.name === 'RUNNING',
          ...(memo?.outageSince ? { outageSince: memo.outageSince } : {}),
        });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        out.watchers.push({ instance, workflowId, running: false });
      }
    }
    const newest = (a: IncidentSummary, b: IncidentSummary) => b.openedAt.localeCompare(a.openedAt);
    out.open.sort(newest);
    out.recent.sort((a, b) => (b.closedAt ?? '').localeCompare(a.closedAt ?? ''));
    return out;
  }

  /** No new incident for this environment's app until now + `duration` (`1h`, `30m`; at most 7 days). */
  async silence(
    service: string,
    environment: string,
    by: string,
    duration: string,
  ): Promise<{ until: string; watcher: string }> {
    const env = findService(this.config, service)?.environments.find((e) => e.name === environment);
    if (!env) throw new NotFoundError(`service "${service}" has no environment "${environment}"`);
    let ms: number;
    try {
      ms = parseDuration(duration);
    } catch (err) {
      throw new InvalidRequestError((err as Error).message);
    }
    if (ms <= 0 || ms > MAX_SILENCE_MS) throw new InvalidRequestError('a silence lasts between 1s and 7d');
    const until = new Date(Date.now() + ms).toISOString();
    const instance = env.argocd.instance ?? 'default';
    const workflowId = watcherId(instance, this.taskQueue);
    await this.temporal.call(() =>
      this.client.workflow.signalWithStart('watcherWorkflow', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [
          {
            instance,
            taskQueue: this.taskQueue,
            intervalMs: this.config.timing.watchInterval ?? DEFAULT_WATCH_INTERVAL_MS,
          },
        ],
        signal: silenceSignal,
        signalArgs: [{ service, environment, until, by }],
      }),
    );
    await this.temporal.call(() => this.client.workflow.getHandle(workflowId).signal(pollNowSignal));
    return { until, watcher: workflowId };
  }
}

const services = new WeakMap<ApiContext, IncidentService>();

/** One IncidentService per API context. */
export function incidentService(ctx: ApiContext): IncidentService {
  let service = services.get(ctx);
  if (!service) {
    service = new IncidentService(ctx.client, ctx.config, ctx.releases.temporal);
    services.set(ctx, service);
  }
  return service;
}

/** The watchers' incidents (open and recent) as DORA records (MTTR, change failure rate). */
export async function incidentRecords(ctx: ApiContext): Promise<IncidentRecord[]> {
  const { open, recent } = await incidentService(ctx).list();
  return [...open, ...recent]
    .filter((i) => !i.closedReason) // an app that left Argo CD did not recover
    .map((i) => ({
      service: i.service,
      environment: i.environment,
      kind: i.kind,
      openedAt: Date.parse(i.openedAt),
      ...(i.closedAt && i.recoveredAt ? { recoveredAt: Date.parse(i.recoveredAt) } : {}),
    }));
}
