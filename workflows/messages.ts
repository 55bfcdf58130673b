// Signals, queries and updates of Runway's workflows: the contract between the API, Slack and the workflows.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FailedJob, PipelineState, ReleaseTimeline } from '../domain/types.js';

export interface ApprovalDecisionInput {
  environment: string;
  /** Slack user id or API token name of the person deciding; checked against the environment's approvers. */
  approver: string;
  /** Ignored (older API versions sent usernames here; usernames do not identify people). */
  approverAliases?: string[];
  comment?: string;
}

export interface ApprovalDecisionResult {
  environment: string;
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
}

export interface PipelineEvent {
  pipelineId: number;
  status: PipelineState;
  failedJob?: FailedJob;
}

export const approveUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('approve');
export const rejectUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('reject');
export const statusQuery = defineQuery<ReleaseTimeline>('status');
export const pipelineSignal = defineSignal<[PipelineEvent]>('pipeline');
/** Sent just before a cancellation request, so the timeline says who cancelled. */
export const cancelRequestedSignal = defineSignal<[{ by: string }]>('cancelRequested');
/**
 * A newer release owns `environment` now. Without `environment` (sent by the old per-service lock) it ends a
 * release waiting for approval; with it, a release still heading for that environment (building, waiting for
 * approval or for the lock) ends `superseded` without touching it.
 */
export const supersedeSignal = defineSignal<[{ by: string; environment?: string }]>('supersede');
/** The lock of `environment` is the release's now; `leaseMs` (environment locks) is how long it lasts unrenewed. */
export const lockGrantedSignal = defineSignal<[{ environment: string; leaseMs?: number }]>('lockGranted');

// Environment lock workflow (`environmentLockWorkflow`, id `service-lock/<service>/<environment>`).

/**
 * `deploy`: a release's bump, ordered by commit (an older one is superseded); `revert`: a release undoing its
 * own bump (skipped once a newer release owns the environment); `rollback`: an operator's chosen version, first
 * come first served.
 */
export type LockPurpose = 'deploy' | 'revert' | 'rollback';
export interface EnvLockRequest {
  releaseId: string;
  /** GitLab project of the service's code: where ancestry questions go. */
  projectId: string;
  sha: string;
  releaseStartedAt: number;
  purpose: LockPurpose;
}
export interface EnvLockHolder extends EnvLockRequest {
  grantedAt: number;
  leaseUntil: number;
}
export interface EnvLockSettings {
  /** A holder that neither renews nor releases within this long loses the lock. */
  leaseMs: number;
  /** How often, while anyone holds or waits, the lock checks that their workflows still run. */
  livenessCheckMs: number;
  /** An idle lock (nobody holds, queues or waits for approval) ends after this long. */
  idleMs: number;
}
export interface EnvLockState {
  service: string;
  environment: string;
  settings: EnvLockSettings;
  holder?: EnvLockHolder;
  queue: EnvLockRequest[];
  waitingForApproval: EnvLockRequest[];
  /**
   * The newest release that deployed, or is deploying, here; `previous` is the one before it, restored when
   * this one reverts its bump. Older releases never touch the environment again.
   */
  newest?: EnvLockRequest & { previous?: EnvLockRequest };
  /** The last few holders that lost the lock without releasing it, and why. */
  takeovers: { releaseId: string; reason: string; at: number }[];
  /** Run id of this lock's previous run: its result carries `newest` over an idle end. */
  inheritFrom?: string;
}
/** What an ended lock run leaves for the next one. */
export interface EnvLockResult {
  newest?: EnvLockState['newest'];
}
/**
 * Asks for the lock. The answer comes back as signals to the release: `lockGranted`, `lockQueued` (behind whom)
 * then `lockGranted`, or `supersede` (a newer release owns the environment; for a revert: reverting would undo it).
 */
export const acquireEnvLockSignal = defineSignal<[EnvLockRequest]>('acquireEnvLock');
/** A release starts (`waiting`) or stops waiting for approval here; an older one is answered with `supersede`. */
export const envApprovalWaitSignal = defineSignal<[EnvLockRequest & { waiting: boolean }]>('envApprovalWait');
/** To a release: it waits for the lock of `environment` behind `behind`. */
export const lockQueuedSignal = defineSignal<[{ environment: string; behind: string }]>('lockQueued');
/** `handBack`: the releaser's bump is not (any more) in the environment: the release before it is the newest again. */
export const releaseEnvLockSignal = defineSignal<[{ releaseId: string; handBack?: boolean }]>('releaseEnvLock');
export const renewEnvLockSignal = defineSignal<[{ releaseId: string }]>('renewEnvLock');
export const envLockStateQuery = defineQuery<EnvLockState>('envLockState');

// Service lock workflow (per service; kept so releases started before environment locks can finish).
export interface LockRequest {
  releaseId: string;
  environment: string;
  /** When the requesting release started: newer releases supersede older ones waiting for approval. */
  releaseStartedAt: number;
}
export interface ApprovalWaitReport {
  releaseId: string;
  releaseStartedAt: number;
  waiting: boolean;
}
export interface ServiceLockState {
  service: string;
  holder?: LockRequest;
  queue: LockRequest[];
  waitingForApproval: ApprovalWaitReport[];
  /** How often the holder's liveness is checked (a terminated release must not hold the lock forever). */
  livenessCheckMs: number;
}
export const acquireLockSignal = defineSignal<[LockRequest]>('acquire');
export const releaseLockSignal = defineSignal<[{ releaseId: string }]>('release');
export const approvalWaitSignal = defineSignal<[ApprovalWaitReport]>('approvalWait');
export const lockStateQuery = defineQuery<ServiceLockState>('lockState');
