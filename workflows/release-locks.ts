// A release's side of the locks: which release may change an environment, and whether this one is still the
// newest heading there. Releases started before environment locks keep the per-service lock protocol (FIFO,
// `service-lock/<service>`) so their histories replay; new ones use `service-lock/<service>/<environment>`
// (workflows/environment-lock.ts), which orders by commit and holds a lease that this class renews.
import { CancellationScope, condition } from '@temporalio/workflow';
import type { ReleasePlan } from '../domain/types.js';
import type { releaseActivities } from './activity-options.js';
import type { EnvLockRequest, LockPurpose } from './messages.js';
import { releaseIdKind } from '../domain/ids.js';

type Acts = ReturnType<typeof releaseActivities>;

export type LockOutcome = { granted: true } | { granted: false; supersededBy: string };

/**
 * A version an operator chose (a rollback, an on-demand deploy of any commit): not ordered by commit. It queues
 * first come first served, never supersedes nor is superseded, and does not move the lock's newest release.
 */
export function isOperatorChoice(releaseId: string, workflowType: string): boolean {
  return workflowType === 'rollbackWorkflow' || releaseIdKind(releaseId) === 'deploy';
}

export class ReleaseLocks {
  /** Set when a newer release owns the environment this one heads for (or waits to approve). */
  supersededBy?: string;
  supersededIn?: string;
  /** The environment this release heads for and has not started changing yet. */
  heading?: string;

  // Per-service lock (old protocol).
  private requested = false;
  private granted = false;

  // Environment locks.
  private held?: { environment: string; leaseMs: number };
  private waitingFor?: string;
  private grant?: { environment: string; leaseMs: number };
  private queuedBehind?: string;
  /** The lock refused the request being waited for: a newer release owns the environment. */
  private refusedBy?: string;

  constructor(
    private readonly plan: ReleasePlan,
    private readonly acts: Acts,
    private readonly startedAt: number,
    /** patched('environment-locks'): false for releases that started on the per-service lock. */
    readonly perEnvironment: boolean,
    private readonly options: { ordered: boolean } = { ordered: true },
  ) {}

  /** Ordered by commit (a merge's release), not an operator's choice of version. */
  get ordered(): boolean {
    return this.options.ordered;
  }

  /** `supersede` signal. `approvalPending`: waiting for a decision that has not come yet. */
  onSupersede(by: string, environment: string | undefined, state: { approvalPending: boolean; changing: boolean }) {
    if (environment === undefined || !this.perEnvironment) {
      if (state.approvalPending) this.supersededBy = by;
      return;
    }
    if (environment === this.waitingFor) this.refusedBy ??= by;
    if (!this.ordered) return;
    // Only while still heading for that environment: never in the middle of changing it.
    if (environment === this.heading && !state.changing && this.held?.environment !== environment) {
      this.supersededBy ??= by;
      this.supersededIn ??= environment;
    }
  }

  /** `lockQueued` signal. */
  onQueued(environment: string, behind: string): void {
    if (this.perEnvironment && this.waitingFor === environment) this.queuedBehind = behind;
  }

  /** `lockGranted` signal. */
  onGranted(environment: string, leaseMs: number | undefined): void {
    if (!this.perEnvironment) {
      if (this.requested) this.granted = true;
    } else if (this.waitingFor === environment) {
      this.grant = { environment, leaseMs: leaseMs ?? 60_000 };
    }
  }

  get heldEnvironment(): string | undefined {
    return this.held?.environment;
  }

  holds(environment: string): boolean {
    return this.perEnvironment ? this.held?.environment === environment : this.requested && this.granted;
  }

  private request(purpose: LockPurpose): EnvLockRequest {
    const { plan } = this;
    return {
      releaseId: plan.releaseId,
      projectId: plan.project.id,
      sha: plan.commit.sha,
      releaseStartedAt: this.startedAt,
      purpose,
    };
  }

  /**
   * Waits for the lock of `environment`. `onQueued` is told whom the release queues behind (the timeline shows it)
   * and gets the outcome once decided.
   */
  async acquire(
    environment: string,
    purpose: LockPurpose,
    onQueued: (behind: string) => (outcome: LockOutcome) => void,
  ): Promise<LockOutcome> {
    if (!this.perEnvironment) {
      await this.acquireServiceLock(environment);
      return { granted: true };
    }
    if (this.held?.environment === environment) return { granted: true };
    if (this.supersededBy && purpose === 'deploy') return { granted: false, supersededBy: this.supersededBy };
    this.waitingFor = environment;
    this.grant = undefined;
    this.queuedBehind = undefined;
    this.refusedBy = undefined;
    await this.acts.requestEnvironmentLock({ service: this.plan.service, environment, request: this.request(purpose) });
    // The answer is a signal: granted, refused, or queued (shown in the timeline) and then one of the two.
    let done: ((outcome: LockOutcome) => void) | undefined;
    let shown: string | undefined;
    for (;;) {
      await condition(() => this.grant !== undefined || this.refusedBy !== undefined || this.queuedBehind !== shown);
      if (this.grant || this.refusedBy) break;
      if (!done) done = onQueued(this.queuedBehind!);
      shown = this.queuedBehind;
    }
    const grant = this.grant as { environment: string; leaseMs: number } | undefined; // set by the signal
    const outcome: LockOutcome = grant ? { granted: true } : { granted: false, supersededBy: this.refusedBy! };
    done?.(outcome);
    this.waitingFor = undefined;
    if (grant) {
      this.held = grant;
      this.keepLease(grant.environment, grant.leaseMs);
    }
    this.grant = undefined;
    this.refusedBy = undefined;
    this.queuedBehind = undefined;
    if (!outcome.granted && purpose === 'deploy') {
      this.supersededBy ??= outcome.supersededBy;
      this.supersededIn ??= environment;
    }
    return outcome;
  }

  /**
   * Lets go of the held lock. `handBack`: this release did not leave its bump there (never bumped, or reverted
   * it), so the environment belongs to the release before it again.
   */
  async release(handBack = false): Promise<void> {
    if (!this.perEnvironment) {
      if (!this.requested) return;
      await this.acts.releaseServiceLock({ service: this.plan.service, releaseId: this.plan.releaseId });
      this.requested = false;
      this.granted = false;
      return;
    }
    const held = this.held;
    if (!held) return;
    this.held = undefined; // stops the lease renewal
    await this.acts.releaseEnvironmentLock({
      service: this.plan.service,
      environment: held.environment,
      releaseId: this.plan.releaseId,
      handBack,
    });
  }

  /** Starts or stops waiting for approval of `environment`; the lock may answer that a newer release owns it. */
  async reportApprovalWait(environment: string, waiting: boolean): Promise<void> {
    const { plan } = this;
    if (!this.perEnvironment) {
      await this.acts.reportApprovalWait({
        service: plan.service,
        releaseId: plan.releaseId,
        releaseStartedAt: this.startedAt,
        waiting,
      });
      return;
    }
    if (!this.ordered) return; // an operator's choice is neither superseded nor supersedes
    // An older release is answered with a `supersede` signal, which ends its approval wait.
    await this.acts.reportEnvironmentApprovalWait({
      service: plan.service,
      environment,
      request: this.request('deploy'),
      waiting,
    });
  }

  private async acquireServiceLock(environment: string): Promise<void> {
    if (this.requested && this.granted) return;
    this.requested = true;
    this.granted = false;
    await this.acts.requestServiceLock({
      service: this.plan.service,
      releaseId: this.plan.releaseId,
      environment,
      releaseStartedAt: this.startedAt,
    });
    await condition(() => this.granted);
  }

  /**
   * Renews the lease every third of it while the lock is held. The timer is started and cancelled in workflow
   * tasks the release has anyway, so a deploy shorter than a third of the lease costs no extra task. Not
   * cancellable: a cancelled release still holds the lock while it reverts.
   */
  private keepLease(environment: string, leaseMs: number): void {
    const every = Math.max(Math.floor(leaseMs / 3), 1_000);
    const stillHeld = () => this.held?.environment === environment;
    void CancellationScope.nonCancellable(async () => {
      try {
        while (!(await condition(() => !stillHeld(), every))) {
          await this.acts
            .renewEnvironmentLock({ service: this.plan.service, environment, releaseId: this.plan.releaseId })
            .catch(() => undefined); // the next renewal tries again; the lease is three times as long
        }
      } catch {
        // nothing to do: the release is ending
      }
    });
  }
}
