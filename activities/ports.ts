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
// Types the domain owns, re-exported for the ports' users.
export type { AppStatus, CommitRelation, HealthStatus, OperationPhase, SyncStatus } from '../domain/app-status.js';
import type { AppStatus, CommitRelation } from '../domain/app-status.js';
import type { NotificationKind } from '../domain/notification.js';

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
  /**
   * Whether `ancestor` is `descendant` or one of its ancestors in `location`'s repository (git
   * `merge-base --is-ancestor`): "does the revision Argo CD reports contain this commit?". A commit the
   * repository does not know (yet) is not an ancestor of anything.
   */
  isAncestor(location: InfraRepoLocation, ancestor: string, descendant: string): Promise<boolean>;
  /**
   * What `runway check` asks of a driver, writing nothing: the branch's head (a read with the worker's own
   * credentials) and whether a push to the branch would be let in. Throws when the branch cannot be read.
   */
  checkAccess?(
    location: InfraRepoLocation,
  ): Promise<{ head: string; push: { ok: true } | { ok: false; reason: string } }>;
  /** The image the target names now at the branch head (release notes compare from it); null when it names none. */
  currentImage(request: {
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
  /** Merged merge requests containing a commit (its source, merge or squash commit), newest first. */
  mergeRequestsOf(
    projectId: string,
    sha: string,
  ): Promise<{ iid: number; title: string; author?: string; url: string }[]>;
}

/**
 * Which Application: its name, the namespace it lives in (Argo CD's "apps in any namespace": the REST
 * `appNamespace`, the custom resource's namespace; default: the instance's own namespace) and, for
 * multi-source apps, the infra repository whose source decides (`sources[]` entry with that repoURL).
 */
export interface ArgoAppRef {
  name: string;
  namespace?: string;
  /** Argo CD project (REST `project` query: a missing app is then a 404, not a 403). */
  project?: string;
  /** The infra repository (a git URL or a GitLab project path): picks the source of a multi-source app. */
  infraRepo?: string;
}

/** An app given by name only (older callers) or fully. */
export type ArgoAppTarget = string | ArgoAppRef;

/** What a sync request came to. */
export type SyncOutcome =
  | { state: 'started'; revision?: string }
  /** "another operation is already in progress": watch that one (never a failure). */
  | { state: 'busy'; revision?: string }
  /** Refused by a sync window: retry when it opens (`until`, ISO time, when known). */
  | { state: 'blocked'; message: string; until?: string };

export interface SyncRequest {
  /** The revision to name; absent: no revision (the app's own targetRevision; required for auto-sync apps). */
  revision?: string;
  /** Multi-source apps: index of the source `revision` is for (the REST `sourcePositions` are 1-based). */
  sourceIndex?: number;
}

export interface ArgoCdPort {
  /**
   * Asks for one sync (never waits). Without a revision Argo CD syncs to the app's targetRevision.
   * Someone else's running operation is `busy`, a sync window `blocked`: neither is an error.
   */
  sync(app: ArgoAppTarget, request?: string | SyncRequest): Promise<SyncOutcome>;
  getStatus(app: ArgoAppTarget, options?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus>;
  /** When the sync windows that block this app end (ISO time), or undefined when unknown / not blocked. */
  syncWindowEnd?(app: ArgoAppTarget): Promise<string | undefined>;
  /** Link to the application in Argo CD's UI. */
  appUrl(app: ArgoAppTarget): string;
}

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
  /** Only bring the existing message up to date: no thread reply (e.g. closing an approval message elsewhere). */
  updateOnly?: boolean;
}

export interface PublishOptions {
  /**
   * An earlier attempt may have posted and not heard back (an activity retry, a workflow task retried after a
   * lost worker): look for its copy before posting. Default true; the notify activity passes false on a first try.
   */
  lookFirst?: boolean;
}

export interface NotifierPort {
  publish(
    notification: ReleaseNotification,
    options?: PublishOptions,
  ): Promise<{ messageRef?: { channel: string; ts: string } }>;
}
