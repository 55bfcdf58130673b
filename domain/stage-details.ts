// What each kind of timeline stage records in its `details`: one type per stage kind, written by the release
// stages (workflows/stages/*.ts) and the external-deploy workflow, read by the Slack message, the merge request
// comment, the Temporal UI details and the REST API. Plain JSON: this is the shape saved histories and memos hold.
//
// Every field is optional, and readers must cope with its absence: releases recorded before a field existed lack
// it, and a timeline shortened to fit the workflow memo keeps only a few (domain/timeline-memo.ts).
import type { PipelineState, StageRecord } from './types.js';

/** `values:<check name>`: the last values of one check (verify, canary), oldest first, comma-separated. */
export type CheckValuesKey = `values:${string}`;

export function checkValuesKey(checkName: string): CheckValuesKey {
  return `values:${checkName}`;
}

/** Is the image in the registry, else the GitLab pipeline that builds it (workflows/stages/image.ts). */
export interface ImageStageDetails {
  /** `repository:tag` of the release. */
  image?: string;
  /** True when the image was already there (stage `skipped`); false once it waits for a pipeline. */
  buildSkipped?: boolean;
  digest?: string;
  pipelineId?: number;
  pipelineUrl?: string;
  pipelineStatus?: PipelineState;
  failedJob?: string;
  failedJobUrl?: string;
  supersededBy?: string;
  error?: string;
}

/** An approver's decision in Slack (workflows/stages/approval.ts). */
export interface ApprovalStageDetails {
  /** Who may decide, comma-separated. */
  approvers?: string;
  channel?: string;
  decision?: 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
  /** Nobody decided within the approval timeout. */
  expired?: true;
  supersededBy?: string;
  error?: string;
}

/** A deploy window or freeze the release waited for, or was forced through (workflows/stages/window.ts). */
export interface WindowStageDetails {
  closedBecause?: string;
  opensAt?: string;
  openedAt?: string;
  forcedBy?: string;
  forceReason?: string;
  supersededBy?: string;
  summary?: string;
}

/** Waiting for the environment's lock behind another release (workflows/stages/lock.ts). */
export interface QueueStageDetails {
  queuedBehind?: string;
  note?: string;
  supersededBy?: string;
  error?: string;
}

/** What an Argo CD sync and health wait add to the stage that asked for it, a deploy or a rollback (sync.ts). */
export interface SyncStageDetails {
  argocdUrl?: string;
  /** How the sync was started: Runway asked for it, or the app's auto-sync did it. */
  argocdSync?: 'auto' | 'manual';
  /** An Argo CD sync window held the sync: until when (ISO), or `unknown`. */
  blockedBySyncWindow?: string;
  /** The health the wait ended on (e.g. `Healthy`). */
  health?: string;
}

/** The manifest bump and its rollout (workflows/stages/deploy.ts), or a deploy Runway did not make. */
export interface DeployStageDetails extends SyncStageDetails {
  /** `repository:tag` deployed. */
  image?: string;
  /** The GitLab deployment Runway opened. */
  deploymentId?: number;
  /** `repository:tag` the manifest held before. */
  previousImage?: string;
  infraCommit?: string;
  /** False when the manifest already had this image (nothing committed). */
  bumped?: boolean;
  error?: string;
  /** External deploys only (workflows/external-deploy.ts): the synced revision, `source: external`. */
  revision?: string;
  source?: 'external';
  /** External deploys: who started the sync, or `automated`. */
  initiatedBy?: string;
  /** External deploys: the Argo CD operation's phase. */
  phase?: string;
  /** External deploys: the GitLab deployment recorded for it. */
  gitlabDeployment?: number;
}

/** Checks after Healthy, evaluated every interval (workflows/stages/verify.ts). */
export interface VerifyStageDetails {
  [key: CheckValuesKey]: string;
  /** Each check with its threshold, `;`-separated. */
  checks?: string;
  /** `done/total`. */
  evaluations?: string;
  summary?: string;
  failedCheck?: string;
  threshold?: string;
  /** The failed check's values. */
  values?: string;
  queryUrl?: string;
  error?: string;
}

/** An Argo Rollouts canary driven step by step (workflows/stages/canary.ts). */
export interface CanaryStageDetails {
  [key: CheckValuesKey]: string;
  /** `namespace/name` of the Rollout. */
  rollout?: string;
  /** The current step line, e.g. `canary step 2 of 5: 33 % (3 of 9 pods)`. */
  step?: string;
  weight?: number;
  canaryPods?: number;
  totalPods?: number;
  canaryHash?: string;
  stableHash?: string;
  phase?: string;
  /** `waiting` while an approver's Promote is awaited at a pause. */
  gate?: 'waiting';
  /** The steps passed so far, one per line (with their check results). */
  steps?: string;
  lastAction?: string;
  /** Who gave the last approver command (Promote, Promote fully, Abort): a user id, so messages can mention them. */
  commandBy?: string;
  /** The last read of the Rollout failed (cleared by the next good read). */
  readError?: string;
  failedCheck?: string;
  threshold?: string;
  values?: string;
  /** What aborting the Rollout did when the canary failed. */
  aborted?: string;
  summary?: string;
  error?: string;
}

/** Waiting after verification before the next environment (workflows/stages/soak.ts). */
export interface SoakStageDetails {
  until?: string;
  summary?: string;
}

/** Putting an environment back on its previous image (workflows/stages/compensation.ts). */
export interface RollbackStageDetails extends SyncStageDetails {
  /** `repository:tag` restored. */
  to?: string;
  /** `repository:tag` rolled away from. */
  from?: string;
  infraCommit?: string;
  supersededBy?: string;
  error?: string;
}

/** Stage kind → its details. */
export interface StageDetailsByKind {
  image: ImageStageDetails;
  approval: ApprovalStageDetails;
  window: WindowStageDetails;
  queue: QueueStageDetails;
  deploy: DeployStageDetails;
  canary: CanaryStageDetails;
  verify: VerifyStageDetails;
  soak: SoakStageDetails;
  rollback: RollbackStageDetails;
}

export type StageKind = keyof StageDetailsByKind;

export const STAGE_KINDS = [
  'image',
  'approval',
  'window',
  'queue',
  'deploy',
  'canary',
  'verify',
  'soak',
  'rollback',
] as const satisfies readonly StageKind[];
// Every kind is listed: a kind added to StageDetailsByKind and not here fails to compile.
const everyKindListed: Record<Exclude<StageKind, (typeof STAGE_KINDS)[number]>, never> = {};
void everyKindListed;

/** The one-line "where it is" of the stages that keep one (window, verify, soak, canary). */
export function stageSummary(stage: StageRecord): string | undefined {
  switch (stage.kind) {
    case 'window':
    case 'verify':
    case 'soak':
    case 'canary':
      return stage.details.summary || undefined;
    default:
      return undefined;
  }
}

/**
 * What a deploy or rollback stage put in place (`repository:tag`), and for a deploy the image it replaced;
 * undefined for every other kind.
 */
export function deployedImages(stage: StageRecord): { image?: string; previous?: string } | undefined {
  switch (stage.kind) {
    case 'deploy':
      return { image: stage.details.image, previous: stage.details.previousImage };
    case 'rollback':
      return { image: stage.details.to };
    default:
      return undefined;
  }
}
