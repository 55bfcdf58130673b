// Shared domain types. Everything here is plain data: it crosses the workflow boundary
// (workflow input, activity arguments, query results) and must stay JSON-serialisable.
import type { StageDetailsByKind, StageKind } from './stage-details.js';

/** How the image is set in an environment's manifest file. */
export type ManifestTarget =
  /** kustomization.yaml `images[]` entry matched by `name`. */
  | { kind: 'kustomize'; file: string; name: string }
  /** Helm values at a dotted path; `repositoryPath` is also set when the repository is kept apart from the tag. */
  | { kind: 'helm'; file: string; tagPath: string; repositoryPath?: string }
  /** A container of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob), chosen by container name. */
  | { kind: 'container'; file: string; container: string; workloadKind?: string; workloadName?: string };

export interface ImageRef {
  /** e.g. `registry.gitlab.com/acme/payments` */
  repository: string;
  tag: string;
  digest?: string;
}

export interface ApprovalGate {
  channel: string;
  /** Slack user ids or usernames allowed to decide. */
  approvers: string[];
  timeoutMs: number;
}

export interface EnvironmentPlan {
  name: string;
  target: ManifestTarget;
  argocd: ArgoCdTarget;
  healthTimeoutMs: number;
  /** Degraded is tolerated this long after a sync before it counts as a failure. */
  degradedGraceMs: number;
  approval?: ApprovalGate;
  /** Checks run after Healthy; a failed check rolls the environment back (workflows/stages/verify.ts). */
  verify?: VerifyPlan;
  /** Wait this long after verification before the next environment may start. */
  soakMs?: number;
  /** When deploys may land (domain/windows.ts); none = always open. */
  windows?: DeployWindow[];
  /** Planned freezes from runway.yaml; runtime freezes live in the freeze registry workflow. */
  freezes?: PlannedFreeze[];
  /** An Argo Rollouts Rollout whose steps Runway drives (workflows/stages/canary.ts); absent: a plain deploy. */
  rollout?: RolloutTarget;
}

export interface RolloutTarget {
  name: string;
  namespace: string;
  /** Each indefinite pause waits for an approver's Promote. */
  approveSteps: boolean;
  /** Run the environment's verify checks at every pause. */
  verifyEachStep: boolean;
  /** Who may promote or abort it (ids): the environment's approvers, else its deployers. */
  promoters: string[];
}

/** One metric or HTTP check, with placeholders already filled for this release and environment. */
export interface VerifyCheck {
  name: string;
  /** PromQL instant query; its single value is compared with max/min. */
  prometheus?: string;
  max?: number;
  min?: number;
  http?: { url: string; expectStatus: number };
  /** Where a person can look at the query (Prometheus graph page or a Grafana template). */
  queryUrl?: string;
}

export interface VerifyPlan {
  durationMs: number;
  intervalMs: number;
  /** Failed evaluations tolerated per check before the check fails. */
  failureLimit: number;
  /** What a query without data counts as. */
  inconclusive: 'fail' | 'pass';
  checks: VerifyCheck[];
}

/** Deploys may land on these days between from and to (HH:MM, `to` exclusive), in the IANA time zone. */
export interface DeployWindow {
  days: string[];
  from: string;
  to: string;
  timeZone: string;
}

export interface PlannedFreeze {
  /** ISO date-times. */
  from: string;
  to: string;
  reason: string;
}

/** An approver pushing a release through a closed window. */
export interface ForcedDeploy {
  by: string;
  reason: string;
}

/** The Argo CD Application an environment deploys through, and how its states count. */
export interface ArgoCdTarget {
  application: string;
  project?: string;
  /** Named Argo CD instance (runway.yaml `argocd.instances`); absent: the default one. */
  instance?: string;
  /** Namespace of the Application when not Argo CD's own (apps in any namespace). */
  namespace?: string;
  /** Auto-sync apps: sync without a revision when the controller has not started a sync within this. */
  autoSyncTimeoutMs?: number;
  /** `Suspended` health (e.g. a paused canary): keep waiting (default), count as healthy, or fail. */
  onSuspended?: 'wait' | 'healthy' | 'fail';
  /** `Missing` health: keep waiting (default) or fail after the degraded grace. */
  onMissing?: 'wait' | 'fail';
}

export interface InfraRepoLocation {
  driver: 'gitlab' | 'git' | 'memory';
  /** GitLab project path/id for `gitlab`, a git URL for `git`. */
  repository: string;
  branch: string;
}

export interface MergeRequestRef {
  iid: number;
  title: string;
  url: string;
  author?: string;
}

/**
 * Everything a release needs, resolved before the workflow starts, so editing runway.yaml
 * never changes a release in flight. Holds no secrets.
 */
export interface ReleasePlan {
  releaseId: string;
  service: string;
  project: { id: string; webUrl?: string };
  commit: { sha: string; ref: string; title?: string };
  mergeRequest?: MergeRequestRef;
  image: ImageRef;
  infra: InfraRepoLocation;
  rollback: 'environment' | 'all';
  environments: EnvironmentPlan[];
  pipeline: { timeoutMs: number; pollIntervalMs: number };
  notify: { channel?: string };
  /** Template for a logs link; `{service}`, `{environment}`, `{from}`, `{to}` are filled in. */
  logsUrlTemplate?: string;
  triggeredBy?: string;
  /** Set by `/runway deploy … --force "reason"`: closed windows and freezes do not hold this release. */
  force?: ForcedDeploy;
  /** Links to this release elsewhere (the Temporal UI, the API), added to the timeline. */
  links?: Record<string, string>;
  /** Shorter activity timings, for tests and the sandbox. */
  timing?: Partial<ActivityTiming>;
}

export interface ActivityTiming {
  /** Heartbeat timeout for long waits. */
  heartbeatTimeoutMs: number;
  /** How often long waits poll the outside system. */
  pollIntervalMs: number;
  /** First retry interval for every activity kind. */
  retryInitialIntervalMs: number;
  /** How often a release queued behind a closed window re-reads it (default 5 minutes). */
  windowRecheckMs?: number;
}

export const RELEASE_STATUSES = [
  'running',
  'queued',
  'awaiting_approval',
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'rejected',
  'expired',
  'superseded',
  'cancelled',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
/** Statuses a release never leaves: every one but running, queued and awaiting approval. */
export const ENDED_RELEASE_STATUSES: ReadonlySet<ReleaseStatus> = new Set(
  RELEASE_STATUSES.filter((s) => s !== 'running' && s !== 'queued' && s !== 'awaiting_approval'),
);

export type StageState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

interface StageCommon {
  environment?: string;
  state: StageState;
  startedAt?: string;
  endedAt?: string;
}

/** A stage of one kind, its `details` typed by the kind (domain/stage-details.ts). */
export type StageOf<K extends StageKind> = {
  [Kind in K]: StageCommon & { kind: Kind; details: StageDetailsByKind[Kind] };
}[K];

/**
 * One step of a release's timeline: `image`, `approval`, `window`, `queue` (waiting for the environment's lock),
 * `deploy`, `canary`, `verify`, `soak`, `rollback`. Switch on `kind` to read its details.
 */
export type StageRecord = StageOf<StageKind>;

/** One change a release brings to an environment: a merge request, or a commit that came without one. */
export interface ReleaseChange {
  title: string;
  author?: string;
  url?: string;
  /** `!12` for a merge request, the short sha for a lone commit. */
  ref: string;
  /** The change's first commit (authored), for DORA lead time. */
  firstCommitAt?: string;
}

/** What a release brings to one environment: the commits between the version running there and the new one. */
export interface ReleaseNotes {
  environment: string;
  /** The commit (or ref) running there now; undefined when unknown. */
  from?: string;
  to: string;
  /** The first changes (merge requests first), capped. */
  changes: ReleaseChange[];
  /** How many changes were not listed ("+N more"). */
  more: number;
  commitCount: number;
  /** GitLab's compare view. */
  compareUrl?: string;
  /** Authored times of every commit brought (capped at 250), for DORA lead time for changes. */
  commitDates?: string[];
  /** Why notes could not be made (unknown running version, GitLab unavailable…). */
  unavailable?: string;
}

export interface ReleaseTimeline {
  releaseId: string;
  service: string;
  commit: string;
  status: ReleaseStatus;
  /** Human-readable current stage, e.g. `deploy:staging`. */
  stage: string;
  stages: StageRecord[];
  warnings: string[];
  error?: string;
  links: Record<string, string>;
  /** Per environment: what this release brings there (computed before the first message). */
  notes?: ReleaseNotes[];
  /** Who asked for what, in order: the deploy (or rollback) itself, decisions, cancellation. */
  actions?: ReleaseAction[];
  /** `external`: a deploy Runway did not make, recorded by the watcher (workflows/external-deploy.ts). */
  source?: 'external';
  /** External deploys: who started the sync (`operationState.operation.initiatedBy`), or `automated`. */
  initiatedBy?: string;
}

export interface ReleaseAction {
  action: 'deploy' | 'rollback' | 'approve' | 'reject' | 'cancel' | 'promote' | 'promote-full' | 'abort';
  /** Slack user id, API token name or GitLab username of who asked. */
  by: string;
  environment?: string;
  at: string;
}

export interface FailedJob {
  name: string;
  url: string;
  stage?: string;
}

export type PipelineState = 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped' | 'missing';
