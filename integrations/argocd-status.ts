// What the REST and the Kubernetes Argo CD drivers share: reading an Application object (both APIs return
// the same JSON), the permanent error type, and waiting out "another operation is already in progress".
import type {
  AppStatus,
  ArgoAppRef,
  ArgoAppTarget,
  HealthStatus,
  OperationPhase,
  SyncStatus,
} from '../activities/ports.js';
import type { SyncRecord } from '../domain/app-status.js';

/** 401/403/404 and other answers a retry cannot change; the activity layer makes it non-retryable. */
export class PermanentArgoCdError extends Error {
  override name = 'PermanentArgoCdError';
}

type Json = Record<string, unknown>;

const SYNC: readonly SyncStatus[] = ['Synced', 'OutOfSync', 'Unknown'];
const HEALTH: readonly HealthStatus[] = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];
const PHASES: readonly OperationPhase[] = ['Running', 'Terminating', 'Failed', 'Error', 'Succeeded'];

function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  return allowed.find((v) => v === value);
}

/** An app given by name only, or fully. */
export function appRef(target: ArgoAppTarget): ArgoAppRef {
  return typeof target === 'string' ? { name: target } : target;
}

/** `https://user@host/group/repo.git`, `git@host:group/repo`, `group/repo` → comparable `host/group/repo`. */
export function normalizeRepo(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^[^@/]+@/, '')
    .replace(/^([^/:]+):(?!\d+\/)/, '$1/')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/+/, '');
}

/** Whether an Argo CD source's repoURL is the infra repository (a full URL, or a GitLab project path). */
export function sameRepo(repoURL: string, infraRepo: string): boolean {
  const a = normalizeRepo(repoURL);
  const b = normalizeRepo(infraRepo);
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

/** `spec.sources[]` when set (multi-source), else `[spec.source]`. */
function sourcesOf(spec: Json): Json[] {
  const sources = spec.sources;
  if (Array.isArray(sources) && sources.length > 0) return sources.map(obj);
  return [obj(spec.source)];
}

/**
 * Which source decides: the only one, or the one whose repoURL is the infra repository. A multi-source app
 * none of whose sources is the infra repository cannot be deployed by Runway: a permanent error.
 */
export function decidingSource(app: unknown, ref: ArgoAppRef): { index: number; count: number; source: Json } {
  const sources = sourcesOf(obj(obj(app).spec));
  if (sources.length === 1) return { index: 0, count: 1, source: sources[0]! };
  const index = ref.infraRepo ? sources.findIndex((s) => sameRepo(str(s.repoURL) ?? '', ref.infraRepo!)) : -1;
  if (index === -1) {
    const repos = sources.map((s) => str(s.repoURL) ?? '?').join(', ');
    throw new PermanentArgoCdError(
      `Argo CD application ${ref.name} has ${sources.length} sources (${repos}) and none is the infra repository ${ref.infraRepo ?? '(not given)'}`,
    );
  }
  return { index, count: sources.length, source: sources[index]! };
}

/** `revision` of a single-source app, `revisions[index]` of a multi-source one. */
function revisionAt(holder: Json, index: number, multi: boolean): string | undefined {
  const revisions = holder.revisions;
  if (multi || (Array.isArray(revisions) && revisions.length > 0 && !str(holder.revision))) {
    return Array.isArray(revisions) ? str(revisions[index]) : undefined;
  }
  return str(holder.revision);
}

/** Argo CD 3: `automated: {enabled: false}` keeps the block but turns auto-sync off (IsAutomatedSyncEnabled). */
export function isAutomated(app: unknown): boolean {
  const policy = obj(obj(obj(app).spec).syncPolicy);
  if (policy.automated == null) return false;
  return obj(policy.automated).enabled !== false;
}

/**
 * The operation that blocks a new sync, if any: `operation` is set until the controller finishes it, and a
 * Running/Terminating `operationState` is still in flight.
 */
export function activeOperation(app: unknown, index = 0, multi = false): { revision?: string } | null {
  const root = obj(app);
  const state = obj(obj(root.status).operationState);
  const phase = oneOf(PHASES, state.phase);
  if (root.operation != null) return { revision: revisionAt(obj(obj(root.operation).sync), index, multi) };
  if (phase === 'Running' || phase === 'Terminating') {
    return {
      revision:
        revisionAt(obj(state.syncResult), index, multi) ?? revisionAt(obj(obj(state.operation).sync), index, multi),
    };
  }
  return null;
}

/** `status.summary.images`, when Argo CD lists any. */
function imagesOf(status: Json): string[] | undefined {
  const images = obj(status.summary).images;
  if (!Array.isArray(images)) return undefined;
  const list = images.filter((i): i is string => typeof i === 'string' && i !== '');
  return list.length ? list : undefined;
}

/**
 * The id of the last `status.history` entry, as the controller reads it (`LastRevisionHistory`) to number the next
 * one: ids grow by one per successful sync, and the list keeps only the newest `revisionHistoryLimit` entries.
 */
function lastHistoryId(status: Record<string, unknown>): number | undefined {
  if (!Array.isArray(status.history) || status.history.length === 0) return undefined;
  const id = obj(status.history[status.history.length - 1]).id;
  return typeof id === 'number' && Number.isFinite(id) ? id : undefined;
}

/** The newest history entries (at most 10, oldest first), in the domain's words. */
function syncRecords(status: Json, index: number, multi: boolean): SyncRecord[] | undefined {
  if (!Array.isArray(status.history) || status.history.length === 0) return undefined;
  const records: SyncRecord[] = [];
  for (const raw of status.history.slice(-10)) {
    const entry = obj(raw);
    if (typeof entry.id !== 'number' || !Number.isFinite(entry.id)) continue;
    const by = obj(entry.initiatedBy);
    const record: SyncRecord = {
      id: entry.id,
      revision: revisionAt(entry, index, multi),
      startedAt: str(entry.deployStartedAt),
      deployedAt: str(entry.deployedAt),
      initiatedBy: str(by.username) ?? (by.automated === true ? 'automated' : undefined),
    };
    for (const key of Object.keys(record) as (keyof SyncRecord)[]) if (record[key] === undefined) delete record[key];
    records.push(record);
  }
  return records.length ? records : undefined;
}

export function toAppStatus(app: unknown, target: ArgoAppTarget = ''): AppStatus {
  const ref = appRef(target);
  const root = obj(app);
  const status = obj(root.status);
  const sync = obj(status.sync);
  const health = obj(status.health);
  const state = obj(status.operationState);
  const { index, count, source } = decidingSource(app, {
    ...ref,
    name: ref.name || str(obj(root.metadata).name) || '?',
  });
  const multi = count > 1;
  const operationSync = obj(obj(state.operation).sync);

  const result: AppStatus = {
    syncStatus: oneOf(SYNC, sync.status) ?? 'Unknown',
    syncRevision: revisionAt(sync, index, multi),
    health: oneOf(HEALTH, health.status) ?? 'Unknown',
    healthMessage: str(health.message),
    operationPhase: oneOf(PHASES, state.phase),
    operationRevision: revisionAt(obj(state.syncResult), index, multi) ?? revisionAt(operationSync, index, multi),
    operationMessage: str(state.message),
    operationAutomated: obj(obj(state.operation).initiatedBy).automated === true || undefined,
    operationFinishedAt: str(state.finishedAt),
    reconciledAt: str(status.reconciledAt),
    operationStartedAt: str(state.startedAt),
    operationInitiatedBy: str(obj(obj(state.operation).initiatedBy).username),
    historyId: lastHistoryId(status),
    syncs: syncRecords(status, index, multi),
    images: imagesOf(status),
    automated: isAutomated(app) || undefined,
    targetRevision: str(source.targetRevision),
    sourceIndex: multi ? index : undefined,
    sourceCount: multi ? count : undefined,
  };

  // A requested operation the controller has not picked up yet sits next to the previous, finished
  // operationState (a merge patch does not clear it). Report the new one as Running, so a stale Failed for
  // the same revision is not read as this sync failing.
  const pending =
    root.operation != null && result.operationPhase !== 'Running' && result.operationPhase !== 'Terminating';
  if (pending) {
    const operation = obj(root.operation);
    result.operationPhase = 'Running';
    result.operationRevision = revisionAt(obj(operation.sync), index, multi);
    result.operationMessage = 'operation requested, waiting for the application controller';
    result.operationAutomated = obj(operation.initiatedBy).automated === true || undefined;
    result.operationFinishedAt = undefined;
    result.operationStartedAt = undefined;
    result.operationInitiatedBy = str(obj(operation.initiatedBy).username);
  }

  for (const key of Object.keys(result) as (keyof AppStatus)[]) if (result[key] === undefined) delete result[key];
  return result;
}

/** The destination of an app, for matching sync windows. */
export function destinationOf(app: unknown): { namespace?: string; server?: string; name?: string } {
  const d = obj(obj(obj(app).spec).destination);
  return { namespace: str(d.namespace), server: str(d.server), name: str(d.name) };
}

export const SYNC_WINDOW_BLOCKED = /blocked by sync window/i;
