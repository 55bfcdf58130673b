// The watcher's activities: read every app of one Argo CD instance in one activity per poll (no workflow per
// app), find out what Runway is changing right now (Temporal visibility), gather an incident's context, post
// its one Slack message, record a deploy Runway did not make, and sync a drifted app back. Idempotent: posts
// look before they write, an external deploy is one workflow id per (service, environment, revision).
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { heartbeat } from '@temporalio/activity';
import type { Logger } from 'pino';
import {
  RunwayCommit,
  RunwayEnvironment,
  RunwayService,
  RunwayStage,
  RunwayStatus,
} from '../domain/search-attributes.js';
import type { ReleaseTimeline } from '../domain/types.js';
import { deployedImages } from '../domain/stage-details.js';
import type {
  AppObservation,
  ExternalOperation,
  Incident,
  IncidentContext,
  PollResult,
  WatchTarget,
  WatchedStatus,
} from '../domain/watch.js';
import { externalDeployId } from '../domain/ids.js';
import { buildLogsUrl } from '../integrations/slack-blocks.js';
import {
  createIncidentNotifier,
  type IncidentNotifierPort,
  type OutageNotice,
} from '../integrations/slack-incidents.js';
import type { SlackNotifier } from '../integrations/slack.js';
import type { AppStatus, ArgoAppRef, ArgoCdPort, NotifierPort } from './ports.js';

export interface WatchDeps {
  /** Every app the watchers follow (config/watch-targets.ts). */
  targets: WatchTarget[];
  /** Poll interval; default 30 s. */
  intervalMs?: number;
  /** Incident messages; default: over the release notifier's Slack API, when it has one. */
  incidents?: IncidentNotifierPort;
  /** Where "cannot watch" warnings go. */
  channel?: string;
  /** `links.logs` of runway.yaml. */
  logsTemplate?: string;
  /** GitLab's web URL, for commit links. */
  gitlabUrl?: string;
}

interface Deps {
  watch?: WatchDeps;
  temporal: Client;
  taskQueue: string;
  notifier: NotifierPort;
  logger?: Logger;
  argocdFor: (instance: string | undefined) => ArgoCdPort;
}

/** Stages in which a release or rollback is changing its environment (it judges the app's health itself). */
const CHANGING_STAGES = new Set(['deploy', 'verify', 'soak', 'rollback']);
const READ_PARALLEL = 8;
const RELEASE_TYPES = 'WorkflowType IN ("releaseWorkflow", "rollbackWorkflow")';

const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

function refOf(target: WatchTarget): ArgoAppRef {
  return {
    name: target.application,
    namespace: target.namespace,
    project: target.project,
    infraRepo: target.infraRepo,
  };
}

/** What the watcher keeps of an app's status; `since`: the last history id it saw (only newer syncs come back). */
function watched(status: AppStatus, since: number | undefined): WatchedStatus {
  const initiatedBy = status.operationInitiatedBy ?? (status.operationAutomated ? 'automated' : undefined);
  const out: WatchedStatus = {
    health: status.health,
    healthMessage: status.healthMessage,
    sync: status.syncStatus,
    syncRevision: status.syncRevision,
    operationPhase: status.operationPhase,
    operationRevision: status.operationRevision,
    operationStartedAt: status.operationStartedAt,
    operationFinishedAt: status.operationFinishedAt,
    initiatedBy,
    historyId: status.historyId,
    syncs: since === undefined ? undefined : status.syncs?.filter((s) => s.id > since),
    images: status.images,
  };
  if (out.syncs?.length === 0) delete out.syncs;
  for (const key of Object.keys(out) as (keyof WatchedStatus)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Argo CD said the app is not there (404, or the 403 it answers for an app it hides). */
const isGone = (err: unknown) =>
  err instanceof Error && err.name === 'PermanentArgoCdError' && /HTTP (403|404)/.test(err.message);

export function watchActivities(deps: Deps) {
  const incidents = (): IncidentNotifierPort | undefined =>
    deps.watch?.incidents ??
    ((deps.notifier as Partial<SlackNotifier>).api
      ? createIncidentNotifier((deps.notifier as SlackNotifier).api, { defaultChannel: deps.watch?.channel })
      : undefined);
  let notifier: IncidentNotifierPort | undefined;
  const incidentNotifier = () => (notifier ??= incidents());

  /** `<service>/<environment>` of every running release or rollback that is changing its environment now. */
  async function changing(): Promise<Set<string>> {
    const busy = new Set<string>();
    let nextPageToken: Uint8Array | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await deps.temporal.workflowService.listWorkflowExecutions({
        namespace: deps.temporal.options.namespace,
        query: `${RELEASE_TYPES} AND ExecutionStatus = "Running" AND TaskQueue = ${quote(deps.taskQueue)}`,
        pageSize: 500,
        nextPageToken,
      });
      for (const e of response.executions ?? []) {
        const sa = decodeTypedSearchAttributes(e.searchAttributes?.indexedFields);
        const stage = (sa.get(RunwayStage) ?? '').split(':')[0]!;
        const service = sa.get(RunwayService);
        const environment = sa.get(RunwayEnvironment);
        if (service && environment && CHANGING_STAGES.has(stage)) busy.add(`${service}/${environment}`);
      }
      if (!response.nextPageToken?.length) break;
      nextPageToken = response.nextPageToken;
    }
    return busy;
  }

  /** A Runway release or rollback of the service ran while the operation did: then the deploy is Runway's. */
  async function runwayOverlaps(op: ExternalOperation): Promise<string | undefined> {
    const from = op.startedAt ?? op.finishedAt;
    // Argo CD's times are truncated to the second: the operation really ended before finishedAt + 1 s.
    const until = new Date(Date.parse(op.finishedAt) + 1000).toISOString();
    const query = [
      RELEASE_TYPES,
      `${RunwayService.name} = ${quote(op.target.service)}`,
      `StartTime <= ${quote(until)}`,
      `(ExecutionStatus = "Running" OR CloseTime >= ${quote(from)})`,
    ].join(' AND ');
    const response = await deps.temporal.workflowService.listWorkflowExecutions({
      namespace: deps.temporal.options.namespace,
      query,
      pageSize: 1,
    });
    return response.executions?.[0]?.execution?.workflowId ?? undefined;
  }

  /** The newest timelines of a service's releases and rollbacks (a bounded scan), newest first. */
  async function recentTimelines(service: string): Promise<ReleaseTimeline[]> {
    const response = await deps.temporal.workflowService.listWorkflowExecutions({
      namespace: deps.temporal.options.namespace,
      query: `${RELEASE_TYPES} AND ${RunwayService.name} = ${quote(service)}`,
      pageSize: 10,
    });
    const ids = (response.executions ?? []).map((e) => e.execution?.workflowId).filter((id): id is string => !!id);
    const timelines = await mapLimit(ids, 4, async (id) =>
      deps.temporal.workflow
        .getHandle(id)
        .query<ReleaseTimeline>('status')
        .catch(() => undefined),
    );
    return timelines.filter((t): t is ReleaseTimeline => !!t);
  }

  return {
    /** One poll of one Argo CD instance: every app it runs for Runway, read in parallel (bounded). */
    async watchPoll(input: { instance: string; historySince?: Record<string, number> }): Promise<PollResult> {
      const targets = (deps.watch?.targets ?? []).filter((t) => t.instance === input.instance);
      const at = new Date().toISOString();
      const intervalMs = deps.watch?.intervalMs;
      if (!targets.length) return { at, apps: [], intervalMs };
      const argocd = deps.argocdFor(input.instance);
      const busy = await changing();
      let done = 0;
      const apps = await mapLimit(targets, READ_PARALLEL, async (target): Promise<AppObservation> => {
        try {
          const status = await argocd.getStatus(refOf(target));
          const since = input.historySince?.[target.key];
          return { target, status: watched(status, since), busy: busy.has(target.key) || undefined };
        } catch (err) {
          if (isGone(err)) return { target, gone: true };
          return { target, error: err instanceof Error ? err.message : String(err) };
        } finally {
          if (++done % 50 === 0) heartbeatSafely(done);
        }
      });
      const failed = apps.filter((a) => a.error);
      // Not one app answered: Argo CD itself is down (or unreachable), not 300 apps at once.
      if (failed.length === apps.length) return { at, apps: [], intervalMs, unreachable: failed[0]!.error };
      for (const a of apps) if (!a.busy) delete a.busy;
      return { at, apps, intervalMs };
    },

    /** Who last deployed here, who approved it, what a rollback goes back to, and the links of the message. */
    async incidentContext(input: { target: WatchTarget; openedAt: string; image?: string }): Promise<IncidentContext> {
      const { target } = input;
      const argocd = deps.argocdFor(target.instance);
      const context: IncidentContext = { links: { argocd: argocd.appUrl(refOf(target)) } };
      if (deps.watch?.logsTemplate) {
        const from = Date.parse(input.openedAt) - 15 * 60_000;
        context.links!.logs = buildLogsUrl(deps.watch.logsTemplate, {
          service: target.service,
          environment: target.environment,
          from,
          to: 'now',
        });
      }
      const timelines = await recentTimelines(target.service).catch((err: unknown) => {
        deps.logger?.warn({ err: String(err), service: target.service }, 'watch: release history unavailable');
        return [];
      });
      const deploys = timelines
        .flatMap((t) =>
          t.stages.flatMap((s) => {
            const images = deployedImages(s);
            if (!images || s.state !== 'succeeded' || s.environment !== target.environment) return [];
            return [{ timeline: t, at: s.endedAt ?? '', image: String(images.image), previous: images.previous }];
          }),
        )
        .sort((a, b) => b.at.localeCompare(a.at));
      const last = deploys[0];
      if (last) {
        const approval = [...(last.timeline.actions ?? [])]
          .reverse()
          .find((a) => a.action === 'approve' && a.environment === target.environment);
        context.lastRelease = {
          releaseId: last.timeline.releaseId,
          image: last.image,
          commit: last.timeline.commit,
          approvedBy: approval?.by,
          at: last.at,
        };
        if (deps.watch?.gitlabUrl && last.timeline.source !== 'external') {
          context.links!.commit = `${deps.watch.gitlabUrl.replace(/\/+$/, '')}/${target.gitlabProject}/-/commit/${last.timeline.commit}`;
        }
        // The last good version: what Runway deployed last when something else runs now, else the one before it.
        const good = input.image && input.image !== last.image ? last.image : last.previous;
        const tag = good?.slice(good.lastIndexOf(':') + 1);
        if (good && tag && !tag.includes('/') && good !== input.image) context.rollbackTo = { tag, image: good };
      }
      return context;
    },

    async publishIncident(incident: Incident): Promise<{ messageRef?: { channel: string; ts: string } }> {
      const port = incidentNotifier();
      if (!port) {
        deps.logger?.warn({ incident: incident.id }, 'watch: no Slack to post the incident to');
        return {};
      }
      return port.publishIncident(incident);
    },

    async publishWatchOutage(notice: OutageNotice): Promise<{ messageRef?: { channel: string; ts: string } }> {
      const port = incidentNotifier();
      if (!port) return {};
      // The default channel, else the channel of a service this instance runs.
      const fallback = deps.watch?.targets.find((t) => t.instance === notice.instance && t.channel)?.channel;
      return port.publishOutage({ ...notice, channel: notice.channel ?? deps.watch?.channel ?? fallback });
    },

    /** drift: sync — put the live objects back to what the repository says (no revision: the app's own). */
    async watchSync(input: { target: WatchTarget }): Promise<{ state: string }> {
      const outcome = await deps.argocdFor(input.target.instance).sync(refOf(input.target), {});
      return { state: outcome.state };
    },

    /**
     * A finished operation Runway did not start: recorded once per revision, as a GitLab deployment and a
     * history entry (`externalDeployWorkflow`), unless a Runway release or rollback of the service ran meanwhile.
     */
    async recordExternalDeploy(op: ExternalOperation): Promise<{ recorded: boolean; reason?: string; id: string }> {
      const id = externalDeployId(op.target.service, op.target.environment, op.revision);
      const runway = await runwayOverlaps(op);
      if (runway) return { recorded: false, reason: `deployed by ${runway}`, id };
      const status = op.phase === 'Succeeded' ? 'succeeded' : 'failed';
      try {
        await deps.temporal.workflow.start('externalDeployWorkflow', {
          workflowId: id,
          taskQueue: deps.taskQueue,
          args: [op],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: RunwayService, value: op.target.service },
            { key: RunwayEnvironment, value: op.target.environment },
            { key: RunwayCommit, value: op.revision },
            { key: RunwayStatus, value: status },
            { key: RunwayStage, value: 'finish' },
          ],
          staticSummary: `external deploy of ${op.target.service} ${op.target.environment} at ${op.revision.slice(0, 8)} by ${op.initiatedBy ?? 'someone'}`,
        });
      } catch (err) {
        // Once per revision: the same revision synced again (or a retried start) is the deploy already recorded.
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return { recorded: false, reason: 'already recorded', id };
        throw err;
      }
      return { recorded: true, id };
    },
  };
}

function heartbeatSafely(details: unknown): void {
  try {
    heartbeat(details);
  } catch {
    // outside an activity context (unit tests)
  }
}
