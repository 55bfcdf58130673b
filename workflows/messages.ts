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
export const supersedeSignal = defineSignal<[{ by: string }]>('supersede');
export const lockGrantedSignal = defineSignal<[{ environment: string }]>('lockGranted');

// Service lock workflow.
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
