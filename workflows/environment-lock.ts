// One workflow per (service, environment) that decides who may change the environment, and in what order:
// at most one release at a time, and the newest commit wins (the target branch's history decides, not
// arrival). It holds a lease per holder, takes the lock over from a holder that closed or stopped renewing,
// never fails on an activity error, and ends when idle, handing its memory of the newest release to the next run.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { isPatched } from './patching.js';
import type { RunwayActivities } from '../activities/index.js';
import type { CommitRelation } from '../domain/app-status.js';
import { isNewer, relationKey } from '../domain/ordering.js';
import { workflowNow } from './clock.js';
import {
  acquireEnvLockSignal,
  envApprovalWaitSignal,
  envLockStateQuery,
  lockGrantedSignal,
  lockQueuedSignal,
  releaseEnvLockSignal,
  renewEnvLockSignal,
  supersedeSignal,
  type EnvLockRequest,
  type EnvLockResult,
  type EnvLockState,
} from './messages.js';
import { envLockDetails } from './lock-details.js';

// Short calls; a failure is caught and handled (never ends the lock): a question unanswered is asked again later.
const LOCK_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '5 seconds', maximumAttempts: 3 },
} as const;

/**
 * Runs started before patch `lock-ordinary-activities` replay with local activities; new runs use ordinary ones,
 * which survive an eviction mid-call (see the note on local activities in workflows/stages/context.ts).
 */
function lockActivities() {
  return isPatched('lock-ordinary-activities')
    ? proxyActivities<RunwayActivities>(LOCK_ACTIVITY_OPTIONS)
    : proxyLocalActivities<RunwayActivities>(LOCK_ACTIVITY_OPTIONS);
}

type Incoming =
  { kind: 'acquire'; request: EnvLockRequest } | { kind: 'approval'; request: EnvLockRequest; waiting: boolean };

const MAX_TAKEOVERS_KEPT = 10;
const MAX_HISTORY = 5_000;

export async function environmentLockWorkflow(initial: EnvLockState): Promise<EnvLockResult> {
  return new EnvironmentLock(initial).run();
}

class EnvironmentLock {
  private readonly state: EnvLockState;
  // Requests are decided in the main loop, in arrival order (deciding may ask GitLab); answers are signals.
  private readonly incoming: Incoming[] = [];
  private readonly relations = new Map<string, CommitRelation>();
  /** Deploys just granted: releases of the service still building that are older are told at once. */
  private readonly sweeps: EnvLockRequest[] = [];
  private changed = false;
  private lastLivenessCheck = workflowNow().getTime();
  /** Decided when the run starts, before anything is awaited, so replay decides it at the same point. */
  private readonly acts = lockActivities();

  constructor(initial: EnvLockState) {
    this.state = {
      ...initial,
      queue: [...initial.queue],
      waitingForApproval: [...initial.waitingForApproval],
      takeovers: [...initial.takeovers],
    };
  }

  async run(): Promise<EnvLockResult> {
    const { state } = this;
    setHandler(envLockStateQuery, () => state);
    setHandler(acquireEnvLockSignal, (request) => {
      this.incoming.push({ kind: 'acquire', request });
    });
    setHandler(envApprovalWaitSignal, ({ waiting, ...request }) => {
      this.incoming.push({ kind: 'approval', request, waiting });
    });
    setHandler(releaseEnvLockSignal, ({ releaseId, handBack }) => this.release(releaseId, handBack ?? false));
    setHandler(renewEnvLockSignal, ({ releaseId }) => {
      if (state.holder?.releaseId === releaseId)
        state.holder.leaseUntil = workflowNow().getTime() + state.settings.leaseMs;
    });

    await this.inherit();
    for (;;) {
      // No command: the Temporal UI's current details (who holds the lock, who waits).
      setCurrentDetails(envLockDetails(this.state));
      const busyBefore = this.busy();
      if (!busyBefore) this.lastLivenessCheck = workflowNow().getTime();
      const woke = await condition(() => this.incoming.length > 0 || this.changed, this.nextWake(busyBefore));
      this.changed = false;
      while (this.incoming.length) await this.decide(this.incoming.shift()!);
      await this.grantNext();
      while (this.sweeps.length) await this.supersedeBuilding(this.sweeps.shift()!);
      if (!woke && !busyBefore && !this.busy()) {
        // Idle for settings.idleMs: end. A request arriving with the completion makes the server refuse it and
        // deliver the request to this run again, so nothing is lost.
        if (this.incoming.length === 0) return { newest: state.newest };
        continue;
      }
      await this.checkHolderLease();
      if (this.busy() && workflowNow().getTime() - this.lastLivenessCheck >= this.livenessInterval()) {
        await this.dropDeparted();
      }
      await this.grantNext();
      // Continue-as-new only while holding state (an idle lock ends instead), between requests.
      if (this.busy() && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY)) {
        if (this.incoming.length === 0) {
          await continueAsNew<typeof environmentLockWorkflow>({ ...state, inheritFrom: undefined });
        }
      }
    }
  }

  /** Anyone holding, queued or waiting for approval: the lock has work and watches it. */
  private busy(): boolean {
    const { state } = this;
    return !!state.holder || state.queue.length > 0 || state.waitingForApproval.length > 0;
  }

  /**
   * Liveness matters most while someone holds or queues (a closed holder blocks the queue); releases only waiting
   * for approval (for up to a day) block nobody, so they are checked ten times less often.
   */
  private livenessInterval(): number {
    const { settings, holder, queue } = this.state;
    return holder || queue.length > 0 ? settings.livenessCheckMs : settings.livenessCheckMs * 10;
  }

  private nextWake(busy: boolean): number {
    const { settings, holder } = this.state;
    if (!busy) return settings.idleMs;
    const now = workflowNow().getTime();
    const liveness = this.lastLivenessCheck + this.livenessInterval() - now;
    const lease = holder ? holder.leaseUntil - now : Infinity;
    return Math.max(Math.min(liveness, lease), 1);
  }

  /** The previous run ended idle: its result says which release is the newest here. */
  private async inherit(): Promise<void> {
    const from = this.state.inheritFrom;
    if (!from || this.state.newest) return;
    try {
      const previous = await this.acts.previousLockResult({ workflowId: workflowInfo().workflowId, runId: from });
      if (previous?.newest && !this.state.newest) this.state.newest = previous.newest;
    } catch {
      // The previous run failed or was terminated: nothing to inherit.
    }
    this.state.inheritFrom = undefined;
  }

  // ---- decisions ------------------------------------------------------------------------------

  private async decide(incoming: Incoming): Promise<void> {
    if (incoming.kind === 'acquire') await this.acquire(incoming.request);
    else await this.approvalWait(incoming.request, incoming.waiting);
  }

  private async acquire(request: EnvLockRequest): Promise<void> {
    const { state } = this;
    const holder = state.holder;
    if (holder?.releaseId === request.releaseId) {
      // A retried request, or the holder about to revert its own bump.
      holder.leaseUntil = workflowNow().getTime() + state.settings.leaseMs;
      await this.tellGranted(request.releaseId);
      return;
    }
    const newest = state.newest;
    if (request.purpose !== 'rollback' && newest && newest.releaseId !== request.releaseId) {
      // A revert is pointless once another release owns the environment; a deploy must be the newer.
      if (request.purpose === 'revert' || !(await this.newer(request, newest))) {
        await this.supersede(request, newest.releaseId);
        return;
      }
    }
    if (!state.queue.some((q) => q.releaseId === request.releaseId)) state.queue.push(request);
    if (state.holder) {
      await getExternalWorkflowHandle(request.releaseId)
        .signal(lockQueuedSignal, { environment: state.environment, behind: state.holder.releaseId })
        .catch(() => undefined); // gone: dropped at the next liveness check or when granted
    }
  }

  private async approvalWait(request: EnvLockRequest, waiting: boolean): Promise<void> {
    const { state } = this;
    state.waitingForApproval = state.waitingForApproval.filter((w) => w.releaseId !== request.releaseId);
    if (!waiting) return;
    // The newest of the releases that own or wait for this environment wins; only it is worth an approval.
    const rivals = [...(state.newest ? [state.newest] : []), ...state.waitingForApproval].filter(
      (r) => r.releaseId !== request.releaseId,
    );
    for (const rival of rivals) {
      if (!(await this.newer(request, rival))) {
        await this.supersede(request, rival.releaseId);
        return;
      }
    }
    for (const older of [...state.waitingForApproval]) await this.supersede(older, request.releaseId);
    state.waitingForApproval.push(request);
  }

  /** Tells a release the lock is its own; false when its workflow is gone. */
  private async tellGranted(releaseId: string): Promise<boolean> {
    const { state } = this;
    try {
      await getExternalWorkflowHandle(releaseId).signal(lockGrantedSignal, {
        environment: state.environment,
        leaseMs: state.settings.leaseMs,
      });
      return true;
    } catch {
      return false;
    }
  }

  private async grantNext(): Promise<void> {
    const { state } = this;
    while (!state.holder && state.queue.length > 0) {
      const first = state.queue[0]!;
      let next = first;
      if (first.purpose === 'deploy') {
        // Of the queued deploys, only the newest goes; the others would deploy an older commit after it.
        for (const candidate of state.queue.filter((q) => q.purpose === 'deploy' && q !== first)) {
          if (await this.newer(candidate, next)) next = candidate;
        }
      }
      state.queue = state.queue.filter((q) => q !== next);
      if (next.purpose === 'revert' && state.newest && state.newest.releaseId !== next.releaseId) {
        await this.supersede(next, state.newest.releaseId);
        continue;
      }
      await this.grant(next);
    }
  }

  /** Makes `request` the holder and tells it; a release that is gone is skipped. */
  private async grant(request: EnvLockRequest): Promise<void> {
    const { state } = this;
    const now = workflowNow().getTime();
    state.holder = { ...request, grantedAt: now, leaseUntil: now + state.settings.leaseMs };
    if (!(await this.tellGranted(request.releaseId))) {
      state.holder = undefined; // the next one goes
      return;
    }
    if (request.purpose === 'deploy') {
      const previous = state.newest ? withoutPrevious(state.newest) : undefined;
      state.newest = { ...request, previous };
      // Everyone older that is still heading here is superseded now, not after waiting for nothing.
      for (const queued of state.queue.filter((q) => q.purpose === 'deploy')) {
        if (!(await this.newer(queued, request))) await this.supersede(queued, request.releaseId);
      }
      for (const waiting of [...state.waitingForApproval]) {
        if (!(await this.newer(waiting, request))) await this.supersede(waiting, request.releaseId);
      }
      this.sweeps.push(request);
    }
  }

  /**
   * Older releases of the service still waiting for their build need not finish it: they would be superseded
   * here anyway. Each decides itself whether this environment is the next it heads for.
   */
  private async supersedeBuilding(granted: EnvLockRequest): Promise<void> {
    let building: { releaseId: string; sha: string; releaseStartedAt: number }[];
    try {
      building = await this.acts.releasesStillBuilding({ service: this.state.service });
    } catch {
      return; // visibility unavailable: they are superseded when they ask for the lock
    }
    for (const release of building) {
      if (release.releaseId === granted.releaseId) continue;
      const candidate: EnvLockRequest = { ...release, projectId: granted.projectId, purpose: 'deploy' };
      if (!(await this.newer(candidate, granted))) await this.supersede(candidate, granted.releaseId);
    }
  }

  private release(releaseId: string, handBack: boolean): void {
    const { state } = this;
    if (state.holder?.releaseId === releaseId) {
      // A bump that was reverted (or never made) hands the environment back to the release before it.
      if (handBack && state.newest?.releaseId === releaseId) state.newest = state.newest.previous;
      state.holder = undefined;
    }
    state.queue = state.queue.filter((q) => q.releaseId !== releaseId);
    this.changed = true;
  }

  private async supersede(release: EnvLockRequest, by: string): Promise<void> {
    this.forget(release.releaseId);
    await getExternalWorkflowHandle(release.releaseId)
      .signal(supersedeSignal, { by, environment: this.state.environment })
      .catch(() => undefined); // already gone
  }

  private forget(releaseId: string): void {
    const { state } = this;
    state.queue = state.queue.filter((q) => q.releaseId !== releaseId);
    state.waitingForApproval = state.waitingForApproval.filter((w) => w.releaseId !== releaseId);
  }

  // ---- ordering ---------------------------------------------------------------------------------

  private async newer(a: EnvLockRequest, b: EnvLockRequest): Promise<boolean> {
    return isNewer(a, b, await this.relation(a, b));
  }

  /** Ancestry of a against b, asked once per lock run (answers never change); unanswerable → `unknown`. */
  private async relation(a: EnvLockRequest, b: EnvLockRequest): Promise<CommitRelation> {
    if (a.sha === b.sha) return { relation: 'same' };
    const key = relationKey(a.projectId, a.sha, b.sha);
    const known = this.relations.get(key);
    if (known) return known;
    let answer: CommitRelation;
    try {
      answer = await this.acts.relateCommits({ projectId: a.projectId, a: a.sha, b: b.sha });
    } catch {
      return { relation: 'unknown', missing: [] }; // GitLab unreachable: arrival decides this once
    }
    if (answer.relation !== 'unknown') this.relations.set(key, answer);
    return answer;
  }

  // ---- liveness ---------------------------------------------------------------------------------

  private async checkHolderLease(): Promise<void> {
    const { state } = this;
    const holder = state.holder;
    if (!holder || workflowNow().getTime() < holder.leaseUntil) return;
    if ((await this.running(holder.releaseId)) === false) this.takeOver('its workflow closed');
    else this.takeOver(`its lease of ${state.settings.leaseMs} ms expired`);
  }

  /** Holders, queued and waiting releases whose workflows closed (terminated, timed out) are dropped. */
  private async dropDeparted(): Promise<void> {
    const { state } = this;
    this.lastLivenessCheck = workflowNow().getTime();
    const ids = new Set([
      ...(state.holder ? [state.holder.releaseId] : []),
      ...state.queue.map((q) => q.releaseId),
      ...state.waitingForApproval.map((w) => w.releaseId),
    ]);
    for (const id of ids) {
      if ((await this.running(id)) !== false) continue;
      if (state.holder?.releaseId === id) this.takeOver('its workflow closed');
      this.forget(id);
    }
  }

  /** Whether a workflow runs; undefined when Temporal could not say (asked again at the next check). */
  private async running(workflowId: string): Promise<boolean | undefined> {
    try {
      return await this.acts.isWorkflowRunning(workflowId);
    } catch {
      return undefined;
    }
  }

  private takeOver(reason: string): void {
    const { state } = this;
    if (!state.holder) return;
    state.takeovers = [
      ...state.takeovers.slice(-(MAX_TAKEOVERS_KEPT - 1)),
      { releaseId: state.holder.releaseId, reason, at: workflowNow().getTime() },
    ];
    state.holder = undefined;
  }
}

function withoutPrevious(newest: NonNullable<EnvLockState['newest']>): EnvLockRequest {
  const { previous: _previous, ...rest } = newest;
  return rest;
}
