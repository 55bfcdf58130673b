// What the front doors (webhook, REST API, Slack) can do with releases, in one place, so every door
// applies the same checks and speaks to Temporal the same way.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { buildReleasePlan, type ReleaseTrigger } from '../config/plan.js';
import { findService, type RunwayConfig } from '../config/schema.js';
import {
  isCommitSha,
  releaseId as makeReleaseId,
  releaseIdService,
  rollbackId as makeRollbackId,
} from '../domain/ids.js';
import { chooseRollbackVersion, type DeployRecord, type RollbackTarget } from './rollback-target.js';
import type { ReleasePlan, ReleaseStatus, ReleaseTimeline } from '../domain/types.js';
import { timelineFromMemo, type TimelineSource } from '../domain/timeline-memo.js';
import { deployedImages } from '../domain/stage-details.js';
import {
  RunwayCommit,
  RunwayEnvironment,
  RunwayService,
  RunwayStage,
  RunwayStatus,
} from '../domain/search-attributes.js';
import {
  approveUpdate,
  cancelRequestedSignal,
  pipelineSignal,
  rejectUpdate,
  statusQuery,
  type ApprovalDecisionResult,
  type PipelineEvent,
} from '../workflows/messages.js';
import { startRelease, type StartedRelease } from './releases.js';
import {
  START_DEADLINE_MS,
  TemporalAvailability,
  TemporalSlowError,
  TemporalUnavailableError,
} from './temporal-availability.js';
import { sameDigest } from '../platform/constant-time.js';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
export class ConflictError extends Error {
  override name = 'ConflictError';
}
/** A decision the workflow's validator refused (wrong approver, not waiting, …): nothing changed. */
export class DecisionRefusedError extends Error {
  override name = 'DecisionRefusedError';
}
/** The release exists but has ended: nothing can change it any more (409, with its final status). */
export class AlreadyEndedError extends Error {
  override name = 'AlreadyEndedError';
}
/** A request the caller got wrong (e.g. a page token Runway did not issue): 400. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
}

/** A timeline answer and where it came from; anything but `worker` may be a few seconds old. */
export type TimelineAnswer = ReleaseTimeline & { readFrom: TimelineSource };

/**
 * A decision Temporal has but the workflow has not answered yet (a busy worker): it is recorded or refused when
 * the worker gets to it. Sent again, it is refused as "not waiting" once the first one counted.
 */
export interface PendingDecision {
  pending: true;
  releaseId: string;
  updateId: string;
  environment: string;
  decision: 'approved' | 'rejected';
  by: string;
}

export interface ReleaseSummary {
  releaseId: string;
  workflowType: string;
  service?: string;
  commit?: string;
  status?: string;
  stage?: string;
  environment?: string;
  startedAt?: string;
  closedAt?: string;
  temporalStatus: string;
}

export interface ListFilter {
  service?: string;
  environment?: string;
  status?: ReleaseStatus;
  pageSize?: number;
  pageToken?: string;
}

export interface ServiceVersion {
  service: string;
  environment: string;
  image?: string;
  releaseId?: string;
  deployedAt?: string;
}

const STATUS_NAMES: Record<number, string> = {
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
};

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

export class ReleaseService {
  /** Every Temporal call goes through it: a deadline per call, 503 while Temporal is down. */
  readonly temporal: TemporalAvailability;
  private readonly pageKey: Buffer;

  constructor(
    private readonly client: Client,
    private readonly config: RunwayConfig,
    temporal?: TemporalAvailability,
  ) {
    this.temporal = temporal ?? new TemporalAvailability(client);
    // Page tokens are signed, so a forged one is a 400 here instead of a slow failure in Temporal. The key
    // comes from the config, so every API replica with the same runway.yaml accepts the others' tokens.
    const material = [config.temporal.namespace, ...config.api.tokens.map((t) => t.sha256 ?? t.token ?? '')];
    this.pageKey = createHash('sha256')
      .update(`runway-page-token\0${material.join('\0')}`)
      .digest();
  }

  /** The release id if it names one of Runway's release or rollback workflows of a configured service. */
  private releaseWorkflowId(releaseId: string): string {
    const service = releaseIdService(releaseId);
    if (!service || !findService(this.config, service)) {
      throw new NotFoundError(`no release ${releaseId.slice(0, 200)}`);
    }
    return releaseId;
  }

  private signPage(raw: Uint8Array): string {
    const mac = createHmac('sha256', this.pageKey).update(raw).digest().subarray(0, 16);
    return `${Buffer.from(raw).toString('base64url')}.${mac.toString('base64url')}`;
  }

  private openPage(token: string): Buffer {
    const [data, mac, extra] = token.split('.');
    const raw = Buffer.from(data ?? '', 'base64url');
    const expected = createHmac('sha256', this.pageKey).update(raw).digest().subarray(0, 16);
    const presented = Buffer.from(mac ?? '', 'base64url');
    if (extra !== undefined || !data || !sameDigest(presented, expected)) {
      throw new InvalidRequestError('pageToken is not one this API issued (use nextPageToken from a previous page)');
    }
    return raw;
  }

  /** Why an existing workflow is done, for "already ended (status)". Undefined when it does not exist. */
  private async endedStatus(releaseId: string): Promise<string | undefined> {
    try {
      const description = await this.temporal.call(() => this.client.workflow.getHandle(releaseId).describe(), {
        what: releaseId,
      });
      if (description.status.name === 'RUNNING') return undefined;
      return description.typedSearchAttributes.get(RunwayStatus) ?? description.status.name.toLowerCase();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  plan(service: string, trigger: ReleaseTrigger): ReleasePlan {
    return buildReleasePlan(this.config, service, trigger);
  }

  async start(plan: ReleasePlan): Promise<StartedRelease> {
    return this.temporal.call(() => startRelease(this.client, plan, { taskQueue: this.taskQueue }), {
      deadlineMs: START_DEADLINE_MS,
      what: `start of ${plan.releaseId}`,
    });
  }

  /**
   * The release's timeline, read from what Temporal stores (the memo the workflow keeps) so a busy or absent
   * worker never delays it. Releases that predate the memo, or whose memo was shortened, ask the worker; if the
   * worker is slow, the answer is what Temporal's visibility knows (status and stage), marked as such.
   */
  async timeline(releaseId: string): Promise<TimelineAnswer> {
    const id = this.releaseWorkflowId(releaseId);
    const handle = this.client.workflow.getHandle(id);
    let description: WorkflowExecutionDescription;
    try {
      description = await this.temporal.call(() => handle.describe(), { what: id });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no release ${releaseId}`);
      throw err;
    }
    const memo = timelineFromMemo(description.memo);
    if (memo && !memo.memoTruncated) return { ...memo, readFrom: 'memo' };
    try {
      const timeline = await this.temporal.call(() => handle.query(statusQuery), { what: id });
      return { ...timeline, readFrom: 'worker' };
    } catch (err) {
      // Down is down (503). Anything else the worker could not answer (busy, no first task run yet, a failing
      // task) still has an answer: the shortened memo, or what visibility knows.
      if (err instanceof TemporalUnavailableError) throw err;
      if (memo) return { ...memo, readFrom: 'memo' };
      return this.timelineFromVisibility(releaseId, description);
    }
  }

  /** The little a release's search attributes say, for a release older than the memo while its worker is busy. */
  private timelineFromVisibility(releaseId: string, d: WorkflowExecutionDescription): TimelineAnswer {
    const sa = d.typedSearchAttributes;
    const running = d.status.name === 'RUNNING';
    return {
      releaseId,
      service: sa.get(RunwayService) ?? releaseIdService(releaseId) ?? '',
      commit: sa.get(RunwayCommit) ?? '',
      status: (sa.get(RunwayStatus) ?? (running ? 'running' : 'failed')) as ReleaseStatus,
      stage: sa.get(RunwayStage) ?? '',
      stages: [],
      warnings: ['the worker is busy: only the status and stage are shown; try again in a few seconds'],
      links: {},
      readFrom: 'search-attributes',
    };
  }

  /**
   * Approves or rejects through the workflow's update (its validator refuses wrong approvers and stale decisions
   * without writing anything, so a decision pressed twice counts once). A worker too busy to answer in time gives
   * a PendingDecision (202), never an outage: Temporal holds the update until the worker takes it.
   */
  async decide(
    releaseId: string,
    decision: 'approve' | 'reject',
    input: { environment: string; approver: string; comment?: string },
  ): Promise<ApprovalDecisionResult | PendingDecision> {
    const id = this.releaseWorkflowId(releaseId);
    const handle = this.client.workflow.getHandle(id);
    // One id per request: the workflow's validator is what makes a decision count once (a second update for the
    // same approval is refused as "not waiting"), and an ended release answers 409 rather than an old outcome.
    const updateId = `${decision}/${input.environment}/${input.approver}/${randomUUID()}`;
    try {
      return await this.temporal.slowCall(
        async () => {
          const update = await handle.startUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, {
            args: [{ environment: input.environment, approver: input.approver, comment: input.comment }],
            updateId,
            waitForStage: WorkflowUpdateStage.ACCEPTED,
          });
          return await update.result();
        },
        { what: `${decision} of ${id}` },
      );
    } catch (err) {
      if (err instanceof TemporalSlowError) {
        return {
          pending: true,
          releaseId: id,
          updateId,
          environment: input.environment,
          decision: decision === 'approve' ? 'approved' : 'rejected',
          by: input.approver,
        };
      }
      if (err instanceof WorkflowUpdateFailedError) throw new DecisionRefusedError(err.cause?.message ?? err.message);
      // The client reports an update on a closed workflow as not found (or "already completed"): say which.
      if (
        err instanceof WorkflowNotFoundError ||
        /workflow execution already completed/i.test((err as Error).message)
      ) {
        const ended = await this.endedStatus(releaseId);
        if (ended) throw new AlreadyEndedError(`${releaseId} already ended (${ended})`);
        throw new NotFoundError(`no release ${releaseId}`);
      }
      throw err;
    }
  }

  /** Asks the release to cancel (its compensation still runs); the timeline records who asked. */
  async cancel(releaseId: string, requestedBy: string): Promise<void> {
    const handle = this.client.workflow.getHandle(this.releaseWorkflowId(releaseId));
    try {
      await this.temporal.call(async () => {
        await handle.signal(cancelRequestedSignal, { by: requestedBy });
        await handle.cancel();
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || /already completed/i.test((err as Error).message)) {
        const ended = await this.endedStatus(releaseId);
        if (ended) throw new AlreadyEndedError(`${releaseId} already ended (${ended})`);
        throw new NotFoundError(`no release ${releaseId}`);
      }
      throw err;
    }
  }

  /** Forwards a Pipeline Hook to the release waiting for that commit; false when there is none. */
  async signalPipeline(service: string, sha: string, event: PipelineEvent): Promise<boolean> {
    try {
      await this.temporal.call(() =>
        this.client.workflow.getHandle(makeReleaseId(service, sha)).signal(pipelineSignal, event),
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  async list(filter: ListFilter = {}): Promise<{ releases: ReleaseSummary[]; nextPageToken?: string }> {
    // External deploys (recorded by the watcher, workflows/external-deploy.ts) are deploys too: history and DORA.
    const clauses = [`WorkflowType IN ("releaseWorkflow", "rollbackWorkflow", "externalDeployWorkflow")`];
    if (filter.service) clauses.push(`${RunwayService.name} = ${quote(filter.service)}`);
    if (filter.environment) clauses.push(`${RunwayEnvironment.name} = ${quote(filter.environment)}`);
    if (filter.status) clauses.push(`${RunwayStatus.name} = ${quote(filter.status)}`);
    const nextPageToken = filter.pageToken ? this.openPage(filter.pageToken) : undefined;
    const response = await this.temporal.call(() =>
      this.client.workflowService.listWorkflowExecutions({
        namespace: this.client.options.namespace,
        query: clauses.join(' AND '),
        pageSize: Math.min(Math.max(filter.pageSize ?? 20, 1), 100),
        nextPageToken,
      }),
    );
    const releases = (response.executions ?? []).map((e): ReleaseSummary => {
      const sa = decodeTypedSearchAttributes(e.searchAttributes?.indexedFields);
      const ts = (t?: { seconds?: unknown; nanos?: number | null } | null) =>
        t?.seconds ? new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : undefined;
      return {
        releaseId: e.execution?.workflowId ?? '',
        workflowType: e.type?.name ?? '',
        service: sa.get(RunwayService),
        commit: sa.get(RunwayCommit),
        status: sa.get(RunwayStatus),
        stage: sa.get(RunwayStage),
        environment: sa.get(RunwayEnvironment),
        startedAt: ts(e.startTime),
        closedAt: ts(e.closeTime),
        temporalStatus: STATUS_NAMES[e.status ?? 0] ?? 'UNKNOWN',
      };
    });
    const token = response.nextPageToken?.length ? this.signPage(response.nextPageToken) : undefined;
    return { releases, nextPageToken: token };
  }

  /** The release of `service` currently waiting for approval of `environment`, if any. */
  async awaitingApproval(service: string, environment: string): Promise<string | undefined> {
    const { releases } = await this.list({ service, environment, status: 'awaiting_approval', pageSize: 5 });
    return releases.find((r) => r.temporalStatus === 'RUNNING')?.releaseId;
  }

  /** What each environment of a service runs now: the newest successful deploy, from release timelines. */
  async currentVersions(service: string): Promise<ServiceVersion[]> {
    const svc = findService(this.config, service);
    if (!svc) throw new NotFoundError(`unknown service "${service}"`);
    const history = await this.deployHistory(service);
    return svc.environments.map((env) => {
      const last = history.find((d) => d.environment === env.name);
      return { service, environment: env.name, image: last?.image, releaseId: last?.releaseId, deployedAt: last?.at };
    });
  }

  /**
   * Starts a rollback of one environment to an earlier version: the one before the current (default), the one a
   * given release deployed, or a given tag. Idempotent per (service, environment, target) while one runs: a
   * second request answers with the running rollback (`alreadyRunning`).
   */
  async rollback(
    service: string,
    environment: string,
    requestedBy: string,
    target: RollbackTarget = {},
  ): Promise<{ rollbackId: string; image: string; alreadyRunning: boolean }> {
    const svc = findService(this.config, service);
    if (!svc) throw new NotFoundError(`unknown service "${service}"`);
    if (!svc.environments.some((e) => e.name === environment)) {
      throw new NotFoundError(`service "${service}" has no environment "${environment}"`);
    }
    const history = (await this.deployHistory(service)).filter((d) => d.environment === environment);
    const chosen = chooseRollbackVersion(history, svc.image.repository, target, {
      conflict: (message) => new ConflictError(`${service} in ${environment}: ${message}`),
      invalid: (message) => new InvalidRequestError(message),
    });
    // The commit GitLab's deployment record names: the version's own when the history knows it (or the tag is a
    // full sha, as with the default `{sha}` template), else the current one's.
    const sha = chosen.commit ?? (isCommitSha(chosen.tag) ? chosen.tag : history[0]?.commit);
    if (!sha) throw new ConflictError(`no deploy of ${service} in ${environment} to roll back from`);
    const base = this.plan(service, { sha, ref: svc.triggerBranches[0]!, triggeredBy: requestedBy });
    const rollbackId = makeRollbackId(service, environment, chosen.tag);
    const image = `${chosen.repository}:${chosen.tag}`;
    const plan: ReleasePlan = {
      ...base,
      releaseId: rollbackId,
      image: { repository: chosen.repository, tag: chosen.tag },
      environments: base.environments.filter((e) => e.name === environment).map((e) => ({ ...e, approval: undefined })),
      mergeRequest: undefined,
      // The earlier image was built long ago: if the registry lost it, fail at once instead of waiting for CI.
      pipeline: { timeoutMs: 0, pollIntervalMs: base.pipeline.pollIntervalMs },
    };
    try {
      await this.temporal.call(() =>
        this.client.workflow.start('rollbackWorkflow', {
          workflowId: rollbackId,
          taskQueue: this.taskQueue,
          args: [plan],
          typedSearchAttributes: [
            { key: RunwayService, value: service },
            { key: RunwayEnvironment, value: environment },
            { key: RunwayCommit, value: sha },
            { key: RunwayStatus, value: 'running' },
            { key: RunwayStage, value: 'image' },
          ],
          staticSummary: `rollback ${service} ${environment} → ${chosen.tag} (by ${requestedBy})`,
        }),
      );
    } catch (err) {
      // The same rollback is running (a double click): that one is the answer. A closed one may run again.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { rollbackId, image, alreadyRunning: true };
      throw err;
    }
    return { rollbackId, image, alreadyRunning: false };
  }

  /** This environment's successful deploys, newest first: what a rollback can go back to. */
  async environmentHistory(service: string, environment: string): Promise<DeployRecord[]> {
    const svc = findService(this.config, service);
    if (!svc?.environments.some((e) => e.name === environment)) {
      throw new NotFoundError(`service "${service}" has no environment "${environment}"`);
    }
    return (await this.deployHistory(service)).filter((d) => d.environment === environment);
  }

  /** Successful deploys of a service, newest first (bounded scan of recent releases). */
  private async deployHistory(service: string) {
    const { releases } = await this.list({ service, pageSize: 50 });
    const deploys: DeployRecord[] = [];
    await Promise.all(
      releases.map(async (r) => {
        const timeline = await this.timeline(r.releaseId).catch(() => undefined);
        for (const stage of timeline?.stages ?? []) {
          const images = deployedImages(stage);
          if (images && stage.state === 'succeeded' && stage.environment) {
            deploys.push({
              environment: stage.environment,
              image: String(images.image),
              previousImage: images.previous,
              releaseId: r.releaseId,
              commit: timeline!.commit,
              at: stage.endedAt ?? '',
              ...(timeline!.source === 'external' ? { source: 'external', initiatedBy: timeline!.initiatedBy } : {}),
            });
          }
        }
      }),
    );
    return deploys.sort((a, b) => b.at.localeCompare(a.at));
  }
}
