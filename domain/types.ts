// Shared domain types. Everything here is plain data: it crosses the workflow boundary
// (workflow input, activity arguments, query results) and must stay JSON-serialisable.

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
}

export const RELEASE_STATUSES = [
  'running',
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

export type StageState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StageRecord {
  /** `image`, `approval`, `deploy`, `rollback`, `finish` */
  kind: 'image' | 'approval' | 'deploy' | 'rollback' | 'finish';
  environment?: string;
  state: StageState;
  startedAt?: string;
  endedAt?: string;
  details: Record<string, string | number | boolean | undefined>;
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
}

export interface FailedJob {
  name: string;
  url: string;
  stage?: string;
}

export type PipelineState = 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped' | 'missing';
