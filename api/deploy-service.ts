// On-demand deploys and runtime freezes: what `/runway deploy|freeze|unfreeze` and the REST routes do.
// A deploy has its own release id (`deploy/<service>/<sha>/<request>`), so a commit that already had a
// release can be deployed again; a request id sent twice is the same deploy (idempotent).
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { findService, type RunwayConfig } from '../config/schema.js';
import type { ReleasePlan } from '../domain/types.js';
import { connectGitLab } from '../integrations/gitlab-api.js';
import { runtimeFreezes } from '../platform/runtime-freezes.js';
import { freezeRegistryId, freezeSignal, unfreezeSignal, type RuntimeFreeze } from '../workflows/freeze-messages.js';
import { HttpError } from './errors.js';
import {
  RunwayCommit,
  RunwayEnvironment,
  RunwayService,
  RunwayStage,
  RunwayStatus,
} from '../domain/search-attributes.js';
import { ConflictError, NotFoundError, type ReleaseService } from './release-service.js';
import { releaseLinks } from './release-links.js';
import { alreadyAt, runningNow } from './rollback-target.js';
import { deployId, isCommitSha, rollbackToId } from '../domain/ids.js';

export interface DeployRequest {
  service: string;
  /** A full commit sha, or anything GitLab resolves to a commit: a tag, a short sha, a branch. */
  version: string;
  /** Deploy to this environment only; default: every environment, in order. */
  environment?: string;
  by: string;
  /** Push through closed windows and freezes; only approvers of the target environments may. */
  force?: { reason: string };
  /** Makes a retried request the same deploy. */
  requestId?: string;
}

export interface StartedDeploy {
  releaseId: string;
  sha: string;
  environments: string[];
  created: boolean;
}

/** Who approved a release where: the approver's id as recorded (a Slack user id, or a name from config). */
export interface Approval {
  by: string;
  environment: string;
}

export class DeployService {
  constructor(
    private readonly client: Client,
    private readonly config: RunwayConfig,
    private readonly releases: Pick<ReleaseService, 'plan' | 'start' | 'timeline' | 'environmentHistory'>,
    private readonly publicUrl?: string,
  ) {}

  /** Commit sha for a version: a full sha as is, anything else asked of GitLab (tags, short shas). */
  async resolveVersion(service: string, version: string): Promise<{ sha: string; ref?: string }> {
    if (isCommitSha(version.toLowerCase())) return { sha: version.toLowerCase() };
    const svc = findService(this.config, service);
    if (!svc) throw new NotFoundError(`unknown service "${service}"`);
    if (!/^[\w.\-/]{1,200}$/.test(version)) throw new HttpError(400, 'invalid_request', `invalid version "${version}"`);
    const gitlab = this.config.gitlab;
    if (!gitlab) {
      throw new HttpError(
        400,
        'invalid_request',
        `"${version}" is not a full commit sha, and no gitlab is configured to resolve it`,
      );
    }
    const { api, call } = connectGitLab({ url: gitlab.url, token: gitlab.token, requestTimeoutMs: 10_000 });
    try {
      const commit = await call('resolve version', () => api.Commits.show(svc.gitlab.project, version));
      return { sha: String(commit.id), ref: isCommitSha(version.toLowerCase()) ? undefined : version };
    } catch (err) {
      if ((err as Error).name === 'PermanentGitLabError' && /404/.test((err as Error).message)) {
        throw new NotFoundError(`${service} has no commit, tag or branch "${version}"`);
      }
      throw new HttpError(503, 'unavailable', `GitLab could not resolve "${version}": ${(err as Error).message}`);
    }
  }

  async deploy(request: DeployRequest): Promise<StartedDeploy> {
    const svc = findService(this.config, request.service);
    if (!svc) throw new NotFoundError(`unknown service "${request.service}"`);
    const environments = request.environment
      ? svc.environments.filter((e) => e.name === request.environment)
      : svc.environments;
    if (environments.length === 0) {
      throw new NotFoundError(`service "${request.service}" has no environment "${request.environment}"`);
    }
    if (request.force) {
      // Forcing is an approver's call: it must be an approver of every gated environment it touches.
      // By id only (a Slack user id or a token name): usernames do not identify people.
      const refused = environments.filter((e) => e.approval && !e.approval.approvers.includes(request.by));
      if (refused.length) {
        throw new HttpError(
          403,
          'forbidden',
          `only approvers of ${refused.map((e) => e.name).join(', ')} can force a deploy there`,
        );
      }
    }
    const { sha, ref } = await this.resolveVersion(request.service, request.version);
    const requestId = (request.requestId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`).replace(
      /[^\w.-]/g,
      '-',
    );
    const releaseId = deployId(request.service, sha, requestId);
    const base = this.releases.plan(request.service, {
      sha,
      ref: ref ?? svc.triggerBranches[0]!,
      triggeredBy: request.by,
      releaseId,
      force: request.force ? { by: request.by, reason: request.force.reason } : undefined,
    });
    const names = new Set(environments.map((e) => e.name));
    const plan: ReleasePlan = {
      ...base,
      environments: base.environments.filter((e) => names.has(e.name)),
      links: this.publicUrl ? releaseLinks(this.config, this.publicUrl, releaseId) : undefined,
    };
    const { created } = await this.releases.start(plan);
    return { releaseId, sha, environments: [...names], created };
  }

  /**
   * Rolls one environment back (or forward) to a given version: a rollbackWorkflow (no approval, no windows,
   * no verification) with id `rollback/<service>/<env>/to/<sha>`, so asking twice while it runs is one rollback.
   */
  async rollbackTo(input: { service: string; environment: string; version: string; by: string }) {
    const svc = findService(this.config, input.service);
    if (!svc) throw new NotFoundError(`unknown service "${input.service}"`);
    if (!svc.environments.some((e) => e.name === input.environment)) {
      throw new NotFoundError(`service "${input.service}" has no environment "${input.environment}"`);
    }
    const { sha, ref } = await this.resolveVersion(input.service, input.version);
    const rollbackId = rollbackToId(input.service, input.environment, sha);
    const base = this.releases.plan(input.service, {
      sha,
      ref: ref ?? svc.triggerBranches[0]!,
      triggeredBy: input.by,
      releaseId: rollbackId,
    });
    const plan: ReleasePlan = {
      ...base,
      environments: base.environments
        .filter((e) => e.name === input.environment)
        .map((e) => ({ ...e, approval: undefined })),
      // The version was built long ago: if the registry lost it, fail at once instead of waiting for CI.
      pipeline: { timeoutMs: 0, pollIntervalMs: base.pipeline.pollIntervalMs },
    };
    // Asked again after it finished (or the version runs anyway): nothing to do, as REST answers 409.
    const image = `${plan.image.repository}:${plan.image.tag}`;
    const current = runningNow(await this.releases.environmentHistory(input.service, input.environment), image);
    if (current) {
      throw new ConflictError(`${input.service} in ${input.environment}: ${alreadyAt(input.version, current)}`);
    }
    await this.client.workflow.start('rollbackWorkflow', {
      workflowId: rollbackId,
      taskQueue: this.config.temporal.taskQueue,
      args: [plan],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: RunwayService, value: input.service },
        { key: RunwayEnvironment, value: input.environment },
        { key: RunwayCommit, value: sha },
        { key: RunwayStatus, value: 'running' },
        { key: RunwayStage, value: 'image' },
      ],
      staticSummary: `rollback ${input.service} ${input.environment} → ${plan.image.tag} (by ${input.by})`,
    });
    return { rollbackId, image };
  }

  /** For `/runway history`: the merge request title (memo) and who approved which environment (timeline). */
  async releaseDetails(releaseId: string): Promise<{ mrTitle?: string; mrUrl?: string; approvals: Approval[] }> {
    const handle = this.client.workflow.getHandle(releaseId);
    // The timeline comes from the memo (no worker asked), the query only for releases older than it.
    const [description, timeline] = await Promise.all([
      handle.describe().catch(() => undefined),
      this.releases.timeline(releaseId).catch(() => undefined),
    ]);
    const memo = (description?.memo ?? {}) as { mrTitle?: unknown; mrUrl?: unknown };
    const approvals = (timeline?.stages ?? []).flatMap((s) =>
      s.kind === 'approval' && s.details.decision === 'approved' && s.details.decidedBy
        ? [{ by: s.details.decidedBy, environment: s.environment ?? '?' }]
        : [],
    );
    return {
      mrTitle: typeof memo.mrTitle === 'string' ? memo.mrTitle : undefined,
      mrUrl: typeof memo.mrUrl === 'string' ? memo.mrUrl : undefined,
      approvals,
    };
  }

  async freezes(): Promise<RuntimeFreeze[]> {
    return runtimeFreezes(this.client, this.config.temporal.taskQueue);
  }

  async freeze(input: { environment: string; by: string; reason?: string; until?: string }): Promise<RuntimeFreeze> {
    this.requireEnvironment(input.environment);
    let until: string | undefined;
    if (input.until) {
      const ms = Date.parse(input.until);
      if (Number.isNaN(ms)) throw new HttpError(400, 'invalid_request', `"${input.until}" is not a date-time`);
      if (ms <= Date.now()) throw new HttpError(400, 'invalid_request', `"${input.until}" is in the past`);
      until = new Date(ms).toISOString();
    }
    const freeze: RuntimeFreeze = {
      environment: input.environment,
      reason: input.reason?.trim() || 'no reason given',
      by: input.by,
      at: new Date().toISOString(),
      until,
    };
    await this.client.workflow.signalWithStart('freezeRegistryWorkflow', {
      workflowId: freezeRegistryId(this.config.temporal.taskQueue),
      taskQueue: this.config.temporal.taskQueue,
      args: [{ freezes: [] }],
      signal: freezeSignal,
      signalArgs: [freeze],
    });
    return freeze;
  }

  async unfreeze(input: { environment: string; by: string }): Promise<{ environment: string; wasFrozen: boolean }> {
    this.requireEnvironment(input.environment);
    const wasFrozen = (await this.freezes()).some((f) => f.environment === input.environment);
    if (!wasFrozen) return { environment: input.environment, wasFrozen };
    try {
      await this.client.workflow
        .getHandle(freezeRegistryId(this.config.temporal.taskQueue))
        .signal(unfreezeSignal, input);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { environment: input.environment, wasFrozen: false };
      throw err;
    }
    return { environment: input.environment, wasFrozen };
  }

  private requireEnvironment(environment: string): void {
    const known = new Set(Object.values(this.config.services).flatMap((s) => s.environments.map((e) => e.name)));
    if (!known.has(environment)) {
      throw new NotFoundError(`no service has an environment "${environment}" (known: ${[...known].join(', ')})`);
    }
  }
}

export { ConflictError };
