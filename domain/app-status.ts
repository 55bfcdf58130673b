// What Runway reads from Argo CD about one Application, and how two commits relate on a branch's history: the
// domain's own vocabulary (health verdicts, ordering), which the ports and the drivers fill in.

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

/** One `status.history` entry: a successful sync (`RevisionHistory` in argo-cd's types.go). */
export interface SyncRecord {
  id: number;
  /** The synced revision of the deciding source (`revision`, or `revisions[i]` for multi-source apps). */
  revision?: string;
  /** `deployStartedAt`. */
  startedAt?: string;
  /** `deployedAt`. */
  deployedAt?: string;
  /** `initiatedBy.username`, or `automated` for the auto-sync controller. */
  initiatedBy?: string;
}

/** The parts of an Argo CD Application that decide how to deploy to it and whether a deploy is done. */
export interface AppStatus {
  syncStatus: SyncStatus;
  /** `status.sync.revision` (of the infra repo's source): the resolved target revision at the last refresh. */
  syncRevision?: string;
  health: HealthStatus;
  healthMessage?: string;
  operationPhase?: OperationPhase;
  /** The revision the current or last operation synced (`syncResult.revision`), or requested. */
  operationRevision?: string;
  operationMessage?: string;
  /** The operation was started by the auto-sync controller (`initiatedBy.automated`). */
  operationAutomated?: boolean;
  /** When the last operation finished (ISO time). */
  operationFinishedAt?: string;
  /** `status.reconciledAt`: when the controller last compared the app and assessed its health (ISO time). */
  reconciledAt?: string;
  /** When the last operation started (ISO time). */
  operationStartedAt?: string;
  /** `operationState.operation.initiatedBy.username` (who pressed sync; absent for the auto-sync controller). */
  operationInitiatedBy?: string;
  /**
   * The highest `status.history[].id`: the controller adds one entry per successful sync with the next id, so it
   * tells two syncs apart that finished in the same second (Argo CD's times have whole seconds).
   */
  historyId?: number;
  /** The newest `status.history` entries (at most 10), oldest first: every successful sync, even two in one poll. */
  syncs?: SyncRecord[];
  /** `status.summary.images`: what runs. */
  images?: string[];
  /** `spec.syncPolicy.automated` is set: Argo CD syncs by itself and refuses a sync naming another revision. */
  automated?: boolean;
  /** `targetRevision` of the deciding source (a branch, tag, sha or HEAD). */
  targetRevision?: string;
  /** Index of the deciding source in `spec.sources[]` (multi-source apps only). */
  sourceIndex?: number;
  /** Number of sources (1 for a single-source app). */
  sourceCount?: number;
}

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
