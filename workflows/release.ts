// The release workflow: image → (approval → deploy) per environment → finish, with a saga that rolls
// environments back when anything fails after a bump. Deterministic: only @temporalio/workflow APIs.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  EnvironmentPlan,
  ImageRef,
  ReleasePlan,
  ReleaseStatus,
  ReleaseTimeline,
  StageRecord,
} from '../domain/types.js';
import type { NotificationKind } from '../activities/ports.js';
import { imageToString, shortSha } from '../domain/ids.js';
import { fillLogsTemplate } from '../domain/links.js';
import { DEFAULT_TIMING, releaseActivities } from './activity-options.js';
import { workflowNow } from './clock.js';
import {
  approveUpdate,
  lockGrantedSignal,
  lockQueuedSignal,
  pipelineSignal,
  rejectUpdate,
  statusQuery,
  supersedeSignal,
  cancelRequestedSignal,
  type ApprovalDecisionInput,
  type ApprovalDecisionResult,
  type PipelineEvent,
} from './messages.js';
import { TimelineRecorder } from './timeline.js';
import { ReleaseLocks, isOperatorChoice, type LockOutcome } from './release-locks.js';
import { mergeRequestComment } from '../domain/comment.js';
import type { StageContext } from './stages/context.js';
import { windowStage } from './stages/window.js';
import { verifyStage } from './stages/verify.js';
import { soakStage } from './stages/soak.js';
import { releaseNotesStage } from './stages/release-notes.js';

export interface ReleaseResult {
  status: ReleaseStatus;
  timeline: ReleaseTimeline;
}

/** A failure of the release itself (not a bug): it ends the release, after compensation. */
class ReleaseFailure extends Error {}

/** An ending that is a decision, not a failure: rejected, expired, superseded. Nothing is compensated. */
class ReleaseEnded extends Error {
  constructor(
    readonly status: 'rejected' | 'expired' | 'superseded',
    message: string,
  ) {
    super(message);
  }
}

interface Compensation {
  environment: EnvironmentPlan;
  previous: ImageRef;
  bumpCommit: string;
}

interface InFlight {
  environment: EnvironmentPlan;
  stage: StageRecord;
  deploymentId?: number;
}

type MessageRef = { channel: string; ts: string };

export async function releaseWorkflow(plan: ReleasePlan): Promise<ReleaseResult> {
  return new ReleaseRun(plan, 'release').execute();
}

/**
 * A rollback is a release of an earlier image to one environment (no approval gate, image already
 * built): same stages, its own workflow type so operators can tell them apart in the UI. Unlike a release it
 * never "compensates": re-deploying the version it was rolling away from would undo the operator's decision,
 * so a rollback that fails ends `rollback_failed`, loudly, and leaves the environment for a human.
 */
export async function rollbackWorkflow(plan: ReleasePlan): Promise<ReleaseResult> {
  return new ReleaseRun(plan, 'rollback').execute();
}

class ReleaseRun {
  private readonly acts;
  private readonly timing;
  private readonly rec: TimelineRecorder;
  private readonly startedAt = workflowInfo().startTime.getTime();
  private readonly compensations: Compensation[] = [];
  private readonly messageRefs: Record<string, MessageRef> = {};
  private inFlight?: InFlight;
  private approvalWait?: { environment: string; approvers: string[] };
  private decision?: ApprovalDecisionResult;
  private pipelineEvent?: PipelineEvent;
  private readonly locks: ReleaseLocks;

  constructor(
    private readonly plan: ReleasePlan,
    private readonly kind: 'release' | 'rollback',
  ) {
    this.timing = { ...DEFAULT_TIMING, ...plan.timing };
    // Releases started before local activities existed replay with ordinary ones.
    this.acts = releaseActivities(this.timing, { local: patched('local-activities') });
    this.rec = new TimelineRecorder(plan);
    // Releases started on the per-service lock keep it; new ones use ordered environment locks.
    this.locks = new ReleaseLocks(plan, this.acts, this.startedAt, patched('environment-locks'), {
      ordered: !isOperatorChoice(plan.releaseId, workflowInfo().workflowType),
    });
  }

  private get supersededBy(): string | undefined {
    return this.locks.supersededBy;
  }

  async execute(): Promise<ReleaseResult> {
    this.registerHandlers();
    for (const [name, url] of Object.entries(this.plan.links ?? {})) this.rec.link(name, url);
    if (this.plan.mergeRequest)
      upsertMemo({ mrTitle: this.plan.mergeRequest.title, mrUrl: this.plan.mergeRequest.url });
    try {
      if (patched('release-notes')) await releaseNotesStage(this.stageContext());
      await this.notify('started');
      await this.imageStage();
      for (const environment of this.plan.environments) await this.deployEnvironment(environment);
      this.rec.setStatus('succeeded');
      await this.finish();
      return this.result();
    } catch (err) {
      return await CancellationScope.nonCancellable(() => this.fail(err));
    }
  }

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.rec.timeline);
    setHandler(pipelineSignal, (event) => {
      this.pipelineEvent = event;
    });
    setHandler(cancelRequestedSignal, ({ by }) => this.rec.action({ action: 'cancel', by }));
    setHandler(supersedeSignal, ({ by, environment }) => {
      this.locks.onSupersede(by, environment, {
        approvalPending: !!this.approvalWait && !this.decision,
        changing: this.inFlight !== undefined,
      });
    });
    setHandler(lockGrantedSignal, ({ environment, leaseMs }) => this.locks.onGranted(environment, leaseMs));
    setHandler(lockQueuedSignal, ({ environment, behind }) => this.locks.onQueued(environment, behind));
    const decide = (decision: 'approved' | 'rejected') => (input: ApprovalDecisionInput) => {
      this.decision = { environment: input.environment, decision, by: input.approver, at: workflowNow().toISOString() };
      const action = decision === 'approved' ? 'approve' : 'reject';
      this.rec.action({ action, by: input.approver, environment: input.environment });
      return this.decision;
    };
    // Validators are synchronous on purpose: a refused decision is never written to history.
    setHandler(approveUpdate, decide('approved'), {
      validator: (input: ApprovalDecisionInput) => this.validateDecision(input),
    });
    setHandler(rejectUpdate, decide('rejected'), {
      validator: (input: ApprovalDecisionInput) => this.validateDecision(input),
    });
  }

  private validateDecision(input: ApprovalDecisionInput): void {
    const wait = this.approvalWait;
    if (!wait || this.decision) throw new Error(`${this.plan.releaseId} is not waiting for an approval`);
    if (wait.environment !== input.environment) {
      throw new Error(
        `${this.plan.releaseId} is waiting for approval of ${wait.environment}, not ${input.environment}`,
      );
    }
    // Only ids identify people: aliases (usernames, display names) are ignored, as anyone can take one.
    // A validator adds no commands, so this is replay-safe.
    if (!wait.approvers.includes(input.approver)) {
      throw new Error(`${input.approver} is not allowed to approve ${this.plan.service} in ${input.environment}`);
    }
  }

  // ---- image ---------------------------------------------------------------------------------

  private async imageStage(): Promise<void> {
    const { plan, acts, rec } = this;
    this.locks.heading = plan.environments[0]?.name;
    const stage = rec.begin('image', undefined, { image: imageToString(plan.image) });
    const found = await acts.checkImage(plan.image);
    if (found.exists) {
      rec.end(stage, 'skipped', { buildSkipped: true, digest: found.digest });
      return;
    }
    stage.details.buildSkipped = false;
    const deadline = workflowNow().getTime() + plan.pipeline.timeoutMs;
    for (;;) {
      this.endIfSuperseded(stage);
      const event = this.pipelineEvent;
      this.pipelineEvent = undefined;
      // A terminal pipeline webhook is trusted as is; otherwise ask GitLab.
      const pipeline =
        event && (event.status === 'success' || event.failedJob)
          ? { id: event.pipelineId, status: event.status, failedJob: event.failedJob, webUrl: undefined }
          : await acts.getPipeline({ projectId: plan.project.id, sha: plan.commit.sha });
      if (pipeline) {
        stage.details.pipelineId = pipeline.id;
        if (pipeline.webUrl) stage.details.pipelineUrl = pipeline.webUrl;
        stage.details.pipelineStatus = pipeline.status;
      }
      if (pipeline?.status === 'success') {
        const built = await acts.checkImage(plan.image);
        if (!built.exists) {
          throw new ReleaseFailure(
            `pipeline ${pipeline.id} succeeded but ${imageToString(plan.image)} is not in the registry`,
          );
        }
        rec.end(stage, 'succeeded', { digest: built.digest });
        return;
      }
      if (
        pipeline &&
        (pipeline.status === 'failed' || pipeline.status === 'canceled' || pipeline.status === 'skipped')
      ) {
        const job = pipeline.failedJob;
        if (job) {
          rec.link('failedJob', job.url);
          Object.assign(stage.details, { failedJob: job.name, failedJobUrl: job.url });
        }
        throw new ReleaseFailure(
          `pipeline ${pipeline.id} ${pipeline.status}` + (job ? `: job "${job.name}" failed (${job.url})` : ''),
        );
      }
      const remaining = deadline - workflowNow().getTime();
      if (remaining <= 0) {
        throw new ReleaseFailure(
          `no successful pipeline for ${shortSha(plan.commit.sha)} within ${plan.pipeline.timeoutMs} ms`,
        );
      }
      // Event-driven: the pipeline webhook wakes us; polling is the slow fallback.
      await condition(
        () => this.pipelineEvent !== undefined || this.supersededBy !== undefined,
        Math.min(plan.pipeline.pollIntervalMs, remaining),
      );
    }
  }

  // ---- environments ----------------------------------------------------------------------------

  private async deployEnvironment(environment: EnvironmentPlan): Promise<void> {
    const { plan, acts, rec } = this;
    this.locks.heading = environment.name;
    if (environment.approval) await this.approvalGate(environment);
    if (patched('deploy-window')) {
      const { supersededBy } = await windowStage(this.stageContext(), environment);
      if (supersededBy) throw new ReleaseEnded('superseded', `superseded by ${supersededBy}`);
    }
    await this.acquireLock(environment.name);
    this.locks.heading = undefined;
    const stage = rec.begin('deploy', environment.name, { image: imageToString(plan.image) });
    this.inFlight = { environment, stage };

    const { deploymentId } = await acts.startDeployment({
      projectId: plan.project.id,
      environment: environment.name,
      sha: plan.commit.sha,
      ref: plan.commit.ref,
    });
    this.inFlight.deploymentId = deploymentId;
    stage.details.deploymentId = deploymentId;

    const bump = await acts.setImage({
      location: plan.infra,
      target: environment.target,
      image: plan.image,
      message: `Deploy ${plan.service} ${shortSha(plan.commit.sha)} to ${environment.name}`,
      changeId: `${plan.releaseId}/${environment.name}/deploy`,
    });
    Object.assign(stage.details, {
      previousImage: bump.previous ? imageToString(bump.previous) : undefined,
      infraCommit: bump.commitSha,
      bumped: bump.changed,
    });
    if (bump.previous && imageToString(bump.previous) !== imageToString(plan.image)) {
      this.compensations.push({ environment, previous: bump.previous, bumpCommit: bump.commitSha });
    }

    await this.syncAndWait(environment, bump.commitSha, stage);
    if (environment.verify && patched('verify-stage')) await verifyStage(this.stageContext(), environment);
    // GitLab's deployment record is reporting, not a gate: failing to update it must not roll back a healthy deploy.
    await this.tryStep('GitLab deployment status', () =>
      acts.finishDeployment({ projectId: plan.project.id, deploymentId, status: 'success' }),
    );
    rec.end(stage, 'succeeded');
    this.inFlight = undefined;
    await this.releaseLock();
    await this.notify('deployed', { environment: environment.name });
    const next = this.plan.environments[this.plan.environments.indexOf(environment) + 1];
    if (environment.soakMs && next && patched('soak-stage')) await soakStage(this.stageContext(), environment, next);
  }

  private stageContext(): StageContext {
    return {
      plan: this.plan,
      rec: this.rec,
      timing: this.timing,
      startedAt: this.startedAt,
      notify: (kind, options) => this.notify(kind, options),
    };
  }

  private async syncAndWait(environment: EnvironmentPlan, revision: string, stage: StageRecord): Promise<void> {
    const { argocd } = environment;
    const app = {
      instance: argocd.instance,
      namespace: argocd.namespace,
      project: argocd.project,
    };
    const started = await this.acts.syncApplication({
      application: argocd.application,
      revision,
      app,
      infra: this.plan.infra,
    });
    this.rec.link(`argocd:${environment.name}`, started.appUrl);
    stage.details.argocdUrl = started.appUrl;
    if (started.mode) stage.details.argocdSync = started.mode;
    const deadline = workflowNow().getTime() + environment.healthTimeoutMs;
    let blocked = started.blocked;
    let announced = false;
    for (;;) {
      // A sync window holds the deploy: say so once (timeline, Slack), then keep waiting for it to open.
      if (blocked && !announced) {
        announced = true;
      }
      if (blocked && announced && !stage.details.blockedBySyncWindow && patched('argocd-sync-window')) {
        const until = blocked.until ? ` until ${blocked.until}` : '';
        const line = `${environment.name}: blocked by sync window${until}`;
        stage.details.blockedBySyncWindow = blocked.until ?? 'unknown';
        this.rec.warn(line);
        await this.notify('deploy_blocked', { environment: environment.name, detail: line });
      }
      const remaining = Math.max(deadline - workflowNow().getTime(), 1);
      const health = await this.acts.healthWait(environment.healthTimeoutMs)({
        application: argocd.application,
        revision,
        timeoutMs: announced ? remaining : environment.healthTimeoutMs,
        degradedGraceMs: environment.degradedGraceMs,
        pollIntervalMs: this.timing.pollIntervalMs,
        app,
        infra: this.plan.infra,
        autoSyncTimeoutMs: argocd.autoSyncTimeoutMs,
        suspended: argocd.onSuspended,
        missing: argocd.onMissing,
        blockAnnounced: announced,
      });
      if (health.blocked && !announced) {
        blocked = health.blocked;
        continue;
      }
      stage.details.health = health.status;
      return;
    }
  }

  private async approvalGate(environment: EnvironmentPlan): Promise<void> {
    const gate = environment.approval!;
    const { rec } = this;
    const stage = rec.begin('approval', environment.name, {
      approvers: gate.approvers.join(', '),
      channel: gate.channel,
    });
    this.approvalWait = { environment: environment.name, approvers: gate.approvers };
    this.decision = undefined;
    rec.setStatus('awaiting_approval');
    const report = (waiting: boolean) => this.locks.reportApprovalWait(environment.name, waiting);
    await report(true);
    // A newer release already owns the environment: nobody is asked to approve this one.
    if (!(this.locks.perEnvironment && this.supersededBy)) {
      await this.notify('approval_requested', {
        environment: environment.name,
        channel: gate.channel,
        approvers: gate.approvers,
      });
    }

    const decided = await condition(
      () => this.decision !== undefined || this.supersededBy !== undefined,
      gate.timeoutMs,
    );
    this.approvalWait = undefined;
    await report(false);
    const decision = this.decision as ApprovalDecisionResult | undefined; // set by the update handler meanwhile
    if (decision) {
      rec.end(stage, decision.decision === 'approved' ? 'succeeded' : 'failed', {
        decision: decision.decision,
        decidedBy: decision.by,
        decidedAt: decision.at,
      });
      // The decided message must not still say "awaiting approval". Setting the status earlier moves a
      // search-attribute command, so releases recorded before this change keep the old order.
      const statusFirst = decision.decision === 'approved' && patched('status-before-decided-notification');
      if (statusFirst) rec.setStatus('running');
      await this.notify('approval_decided', { environment: environment.name, channel: gate.channel });
      if (decision.decision === 'rejected') {
        throw new ReleaseEnded('rejected', `${environment.name} rejected by ${decision.by}`);
      }
      if (!statusFirst) rec.setStatus('running');
      return;
    }
    if (this.supersededBy) {
      rec.end(stage, 'cancelled', { supersededBy: this.supersededBy });
      throw this.superseded();
    }
    if (!decided) rec.end(stage, 'failed', { expired: true });
    throw new ReleaseEnded('expired', `no decision for ${environment.name} within ${gate.timeoutMs} ms`);
  }

  // ---- service lock ----------------------------------------------------------------------------

  /** Waits for the environment's lock; ends the release `superseded` when a newer one owns the environment. */
  private async acquireLock(environment: string): Promise<void> {
    const outcome = await this.locks.acquire(environment, this.locks.ordered ? 'deploy' : 'rollback', (behind) =>
      this.queuedBehind(environment, behind),
    );
    if (!outcome.granted) {
      if (!this.rec.timeline.stages.some((s) => s.kind === 'queue' && s.environment === environment)) {
        const stage = this.rec.begin('queue', environment);
        this.rec.end(stage, 'cancelled', { supersededBy: outcome.supersededBy });
      }
      throw this.superseded();
    }
  }

  /** Shows a wait for the lock in the timeline: "queued behind <release>", until granted or superseded. */
  private queuedBehind(environment: string, behind: string): (outcome: LockOutcome) => void {
    const stage = this.rec.begin('queue', environment, { queuedBehind: behind });
    stage.details.note = `queued behind ${behind}`;
    return (outcome) =>
      outcome.granted
        ? this.rec.end(stage, 'succeeded')
        : this.rec.end(stage, 'cancelled', { supersededBy: outcome.supersededBy });
  }

  private async releaseLock(handBack = false): Promise<void> {
    await this.locks.release(handBack);
  }

  private superseded(): ReleaseEnded {
    const where = this.locks.supersededIn ? ` (a newer commit owns ${this.locks.supersededIn})` : '';
    return new ReleaseEnded('superseded', `superseded by ${this.supersededBy}${where}`);
  }

  /** While still heading for an environment (building, waiting), a newer release that owns it ends this one. */
  private endIfSuperseded(stage: StageRecord): void {
    if (!this.supersededBy) return;
    this.rec.end(stage, 'cancelled', { supersededBy: this.supersededBy });
    throw this.superseded();
  }

  // ---- failure and compensation ----------------------------------------------------------------

  private async fail(err: unknown): Promise<ReleaseResult> {
    const { plan, acts, rec } = this;
    const cancelled = isCancellation(err);
    const message = cancelled ? 'release cancelled' : errorMessage(err);

    if (this.approvalWait) {
      const { environment } = this.approvalWait;
      this.approvalWait = undefined;
      await this.tryStep('approval wait report', () => this.locks.reportApprovalWait(environment, false));
    }
    const approvalStage = rec.timeline.stages.find((s) => s.kind === 'approval' && s.state === 'running');
    if (approvalStage) rec.end(approvalStage, 'cancelled', { error: message });
    const queueStage = rec.timeline.stages.find((s) => s.kind === 'queue' && s.state === 'running');
    if (queueStage) rec.end(queueStage, 'cancelled', { error: message });

    if (err instanceof ReleaseEnded) {
      rec.setStatus(err.status, err.message);
      await this.releaseLock();
      await this.finish();
      return this.result();
    }

    const inFlight = this.inFlight;
    if (inFlight) rec.end(inFlight.stage, cancelled ? 'cancelled' : 'failed', { error: message });
    const imageStage = rec.timeline.stages.find((s) => s.kind === 'image' && s.state === 'running');
    if (imageStage) rec.end(imageStage, cancelled ? 'cancelled' : 'failed', { error: message });

    // Saved rollback histories from before this rule replay with the old saga.
    if (this.kind === 'rollback' && patched('rollback-never-reverts')) {
      return this.failRollback(err, message, cancelled);
    }
    const leftBroken = await this.compensate(inFlight?.environment.name);
    if (inFlight?.deploymentId !== undefined) {
      const deploymentId = inFlight.deploymentId;
      await this.tryStep('deployment status', () =>
        acts.finishDeployment({ projectId: plan.project.id, deploymentId, status: cancelled ? 'canceled' : 'failed' }),
      );
    }
    // What is still held was not bumped by this release (or its bump is recorded as a failure above).
    await this.releaseLockQuietly(true);

    let status: ReleaseStatus;
    if (leftBroken === null) status = cancelled ? 'cancelled' : 'failed';
    else if (leftBroken.length === 0) status = cancelled ? 'cancelled' : 'rolled_back';
    else status = 'rollback_failed';
    const detail = leftBroken?.length ? `${message}; ROLLBACK FAILED: ${leftBroken.join('; ')}` : message;
    rec.setStatus(status, detail);
    await this.finish();

    if (cancelled) throw err;
    throw ApplicationFailure.create({ type: `Release_${status}`, message: detail, nonRetryable: true });
  }

  /** A failed manual rollback: no compensation, `rollback_failed` (or `cancelled`), and a loud message. */
  private async failRollback(err: unknown, message: string, cancelled: boolean): Promise<never> {
    const { plan, acts, rec } = this;
    const inFlight = this.inFlight;
    if (inFlight?.deploymentId !== undefined) {
      const deploymentId = inFlight.deploymentId;
      await this.tryStep('deployment status', () =>
        acts.finishDeployment({ projectId: plan.project.id, deploymentId, status: cancelled ? 'canceled' : 'failed' }),
      );
    }
    const bumped = inFlight?.stage.details.infraCommit !== undefined;
    // Not reverted: when it bumped, the environment now holds this rollback's image (no hand-back).
    await this.releaseLockQuietly(!bumped);
    const status: ReleaseStatus = cancelled ? 'cancelled' : 'rollback_failed';
    const where = inFlight
      ? `${inFlight.environment.name} ${bumped ? `now points at ${imageToString(plan.image)}` : 'was not changed'}`
      : 'nothing was changed';
    const detail = cancelled
      ? `rollback cancelled; ${where}`
      : `ROLLBACK FAILED: ${message}; ${where}. Not reverted to the version it rolled away from: needs a human.`;
    rec.setStatus(status, detail);
    await this.finish();
    if (cancelled) throw err;
    throw ApplicationFailure.create({ type: `Release_${status}`, message: detail, nonRetryable: true });
  }

  /**
   * Reverts bumps, newest first: the failing environment's, plus earlier ones with `rollback: all`.
   * Returns null when there was nothing to revert, else what could not be restored.
   */
  private async compensate(failingEnvironment?: string): Promise<string[] | null> {
    const { plan, acts, rec } = this;
    const entries = [...this.compensations]
      .reverse()
      .filter((c) => plan.rollback === 'all' || c.environment.name === failingEnvironment);
    if (entries.length === 0) return null;
    const perEnvironment = this.locks.perEnvironment;
    if (!perEnvironment && !this.locks.holds(entries[0]!.environment.name)) {
      await this.acquireLock(entries[0]!.environment.name);
    }
    const held = this.locks.heldEnvironment;
    if (perEnvironment && held && !entries.some((e) => e.environment.name === held)) {
      await this.releaseLockQuietly(true); // never bumped there: not this release's environment any more
    }
    const leftBroken: string[] = [];
    for (const entry of entries) {
      const env = entry.environment;
      const stage = rec.begin('rollback', env.name, {
        to: imageToString(entry.previous),
        from: imageToString(plan.image),
      });
      if (perEnvironment) {
        // A newer release that deployed here since owns the environment: reverting would undo its deploy.
        const purpose = this.locks.ordered ? 'revert' : 'rollback';
        const lock = await this.locks.acquire(env.name, purpose, (behind) => this.queuedBehind(env.name, behind));
        if (!lock.granted) {
          rec.end(stage, 'skipped', { supersededBy: lock.supersededBy });
          continue;
        }
      }
      let reverted = false;
      try {
        const revert = await acts.setImage({
          location: plan.infra,
          target: env.target,
          image: entry.previous,
          message: `Roll back ${plan.service} in ${env.name} to ${entry.previous.tag} (release ${shortSha(plan.commit.sha)} failed)`,
          changeId: `${plan.releaseId}/${env.name}/rollback`,
        });
        stage.details.infraCommit = revert.commitSha;
        await this.syncAndWait(env, revert.commitSha, stage);
        rec.end(stage, 'succeeded');
        reverted = true;
      } catch (err) {
        rec.end(stage, 'failed', { error: errorMessage(err) });
        leftBroken.push(
          `${env.name} left at ${imageToString(plan.image)} (infra commit ${entry.bumpCommit}): ${errorMessage(err)}`,
        );
      }
      if (perEnvironment) await this.releaseLockQuietly(reverted);
    }
    return leftBroken;
  }

  // ---- ending ----------------------------------------------------------------------------------

  private async finish(): Promise<void> {
    const { plan, rec } = this;
    if (plan.logsUrlTemplate) {
      const failedEnv = rec.timeline.stages.find((s) => s.state === 'failed')?.environment;
      rec.link(
        'logs',
        fillLogsTemplate(plan.logsUrlTemplate, {
          service: plan.service,
          environment: failedEnv ?? plan.environments[0]?.name,
          from: this.startedAt,
          to: workflowNow().getTime(),
        }),
      );
    }
    const status = rec.timeline.status;
    const kind: NotificationKind =
      status === 'succeeded' || status === 'failed' || status === 'rolled_back' || status === 'rollback_failed'
        ? status
        : 'ended';
    await this.notify(kind);
    // The approval message may live in another channel than the release's: it must lose its buttons and say
    // why too. Histories recorded before this step replay without it.
    const notifyKey = plan.notify.channel ?? '';
    const elsewhere = Object.keys(this.messageRefs).filter((key) => key !== notifyKey && key !== '');
    if (elsewhere.length > 0 && patched('approval-message-closed')) {
      for (const channel of elsewhere) await this.notify(kind, { channel, updateOnly: true });
    }
    const mr = plan.mergeRequest;
    if (mr) {
      await this.tryStep('merge request comment', () =>
        this.acts.commentOnMergeRequest({
          projectId: plan.project.id,
          mrIid: mr.iid,
          releaseId: plan.releaseId,
          body: mergeRequestComment(plan, rec.timeline),
        }),
      );
    }
  }

  /** Notifications never fail a release: a failure becomes a warning in the timeline. */
  private async notify(
    kind: NotificationKind,
    options: {
      environment?: string;
      channel?: string;
      approvers?: string[];
      detail?: string;
      updateOnly?: boolean;
    } = {},
  ): Promise<void> {
    const channel = options.channel ?? this.plan.notify.channel;
    const key = channel ?? '';
    await this.tryStep(`notification "${kind}"`, async () => {
      const { messageRef } = await this.acts.notify({
        kind,
        channel,
        environment: options.environment,
        approvers: options.approvers,
        ...(options.detail ? { detail: options.detail } : {}),
        ...(options.updateOnly ? { updateOnly: true } : {}),
        timeline: this.rec.timeline,
        messageRef: this.messageRefs[key],
      });
      if (messageRef) this.messageRefs[key] = messageRef;
    });
  }

  private async tryStep(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.rec.warn(`${what} failed: ${errorMessage(err)}`);
    }
  }

  private async releaseLockQuietly(handBack = false): Promise<void> {
    await this.tryStep('service lock release', () => this.releaseLock(handBack));
  }

  private result(): ReleaseResult {
    return { status: this.rec.timeline.status, timeline: this.rec.timeline };
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return String((err as Error)?.message ?? err);
  // ActivityFailure wraps the real cause.
  const cause = (err as Error & { cause?: Error }).cause;
  return cause?.message ? cause.message : err.message;
}
