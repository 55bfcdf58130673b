// The outside systems Runway talks to, as narrow interfaces. Activities depend only on these,
// so tests hand in in-memory versions and production hands in the real HTTP clients.
import type {
  FailedJob,
  ImageRef,
  InfraRepoLocation,
  ManifestTarget,
  PipelineState,
  ReleaseTimeline,
} from '../domain/types.js';

export interface RegistryPort {
  /** HEAD the manifest of `repository:tag` (or digest). */
  imageExists(image: ImageRef): Promise<{ exists: boolean; digest?: string }>;
}

export interface PipelineInfo {
  id: number;
  status: PipelineState;
  webUrl?: string;
  /** Set when the status is `failed`: the first failed job that was not allowed to fail. */
  failedJob?: FailedJob;
}

export type DeploymentStatus = 'running' | 'success' | 'failed' | 'canceled';

/**
 * How commit `a` relates to commit `b` in a project's history. Ancestry never changes, so answers may be cached.
 * `diverged`: neither contains the other (e.g. a force-push); the commit times are what is left to order them by.
 * `unknown`: GitLab does not know at least one of them (yet, or any more).
 */
export type CommitRelation =
  | { relation: 'same' }
  | { relation: 'ancestor' }
  | { relation: 'descendant' }
  | { relation: 'diverged'; aCommittedAt?: string; bCommittedAt?: string }
  | { relation: 'unknown'; missing: string[] };

export interface GitLabPort {
  /** The newest pipeline for a commit, or null when GitLab has none (yet). */
  latestPipeline(projectId: string, sha: string): Promise<PipelineInfo | null>;
  /**
   * Creates a `running` deployment for (environment, sha), or returns the one an earlier attempt
   * created, so a retried activity never shows two deployments.
   */
  ensureDeployment(input: {
    projectId: string;
    environment: string;
    sha: string;
    ref: string;
  }): Promise<{ id: number }>;
  updateDeployment(projectId: string, deploymentId: number, status: DeploymentStatus): Promise<void>;
  /** Whether `a` is an ancestor (`ancestor`) or a descendant (`descendant`) of `b` on the project's history. */
  relateCommits(projectId: string, a: string, b: string): Promise<CommitRelation>;
  /** One note per release on the MR: created once, then edited (found by the marker it contains). */
  upsertMergeRequestNote(input: { projectId: string; mrIid: number; marker: string; body: string }): Promise<{
    noteId: number;
  }>;
}

export interface SetImageRequest {
  location: InfraRepoLocation;
  target: ManifestTarget;
  image: ImageRef;
  /** Commit message; drivers append Runway trailers that make retries recoverable. */
  message: string;
  /** Identifies this change (e.g. `<releaseId>/<environment>/bump`): the trailer a retry looks for. */
  changeId: string;
}

export interface SetImageResult {
  /** False when the file already held the image: no commit was made. */
  changed: boolean;
  /** The image the file held before this change (recovered from the commit trailer on a retry). */
  previous: ImageRef | null;
  /** The infra commit that contains the change: what Argo CD must sync to. */
  commitSha: string;
}

export interface InfraRepoPort {
  setImage(request: SetImageRequest): Promise<SetImageResult>;
  /** The image the target names now (release notes compare from it); null when it names none. Optional. */
  currentImage?(request: {
    location: InfraRepoLocation;
    target: ManifestTarget;
    repository: string;
  }): Promise<ImageRef | null>;
}

/** GitLab's repository history, for release notes. */
export interface ReleaseNotesPort {
  /** Commits reachable from `to` and not from `from`, oldest first, and GitLab's compare view. */
  compare(
    projectId: string,
    from: string,
    to: string,
  ): Promise<{
    commits: { id: string; title: string; author: string; authoredAt: string; url?: string }[];
    webUrl?: string;
  }>;
  /** Merge requests containing a commit. */
  mergeRequestsOf(
    projectId: string,
    sha: string,
  ): Promise<{ iid: number; title: string; author?: string; url: string }[]>;
}

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

/** The parts of an Argo CD Application's status that decide whether a deploy is done. */
export interface AppStatus {
  syncStatus: SyncStatus;
  syncRevision?: string;
  health: HealthStatus;
  healthMessage?: string;
  operationPhase?: OperationPhase;
  operationRevision?: string;
  operationMessage?: string;
}

export interface ArgoCdPort {
  /** Sync the application to exactly this revision; waits out "another operation is already in progress". */
  sync(application: string, revision: string): Promise<void>;
  getStatus(application: string, options?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus>;
  /** Link to the application in Argo CD's UI. */
  appUrl(application: string): string;
}

export type NotificationKind =
  | 'started'
  | 'approval_requested'
  | 'approval_decided'
  | 'deployed'
  /** Live progress of a stage (verify, soak, window): updates the message, no thread reply. */
  | 'progress'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'rollback_failed'
  | 'ended';

export interface ReleaseNotification {
  kind: NotificationKind;
  channel?: string;
  environment?: string;
  timeline: ReleaseTimeline;
  /** Approver list for `approval_requested`. */
  approvers?: string[];
  /** The release's message, once posted: later notifications update it in place. */
  messageRef?: { channel: string; ts: string };
  /** Free text for the thread (details). */
  detail?: string;
}

export interface NotifierPort {
  publish(notification: ReleaseNotification): Promise<{ messageRef?: { channel: string; ts: string } }>;
}
