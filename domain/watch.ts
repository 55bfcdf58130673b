// Between releases: what the watcher remembers about each app, the incidents it keeps, and the pure decision
// of what one poll of Argo CD changes. Plain data only: it crosses the workflow boundary and is carried over
// continue-as-new, so a restarted watcher neither forgets an open incident nor posts it again.

import type { SyncRecord } from './app-status.js';

export type WatchDegradedPolicy = 'alert' | 'ignore';
export type WatchDriftPolicy = 'alert' | 'sync' | 'ignore';

/** One environment's Argo CD app, as the watcher follows it (built from runway.yaml by config/watch-targets.ts). */
export interface WatchTarget {
  /** `<service>/<environment>` */
  key: string;
  service: string;
  environment: string;
  /** The Argo CD instance (a name under argocd.instances, or `default`). */
  instance: string;
  application: string;
  namespace?: string;
  project?: string;
  /** The infra repository (picks the deciding source of a multi-source app). */
  infraRepo?: string;
  /** Slack channel of the service's messages. */
  channel?: string;
  /** GitLab project of the service (external deploys are recorded there) and the ref they name. */
  gitlabProject: string;
  ref: string;
  imageRepository: string;
  degraded: WatchDegradedPolicy;
  drift: WatchDriftPolicy;
  graceMs: number;
}

/** What Argo CD says about one app at one poll. */
export interface WatchedStatus {
  health: string;
  healthMessage?: string;
  sync: string;
  /** `status.sync.revision`: what the app is compared against now. */
  syncRevision?: string;
  operationPhase?: string;
  /** `operationState.syncResult.revision` (or the requested one): what the last operation synced. */
  operationRevision?: string;
  operationStartedAt?: string;
  operationFinishedAt?: string;
  /** `operationState.operation.initiatedBy`: a username, or `automated` for the auto-sync controller. */
  initiatedBy?: string;
  /** The newest `status.history[].id`: one more per successful sync, even two in the same second. */
  historyId?: number;
  /** History entries newer than the id the watcher last saw (asked for by id): syncs made between two polls. */
  syncs?: SyncRecord[];
  /** `status.summary.images`. */
  images?: string[];
}

export interface AppObservation {
  target: WatchTarget;
  status?: WatchedStatus;
  /** Argo CD has no such app (deleted, or the token may no longer see it). */
  gone?: boolean;
  /** This app could not be read this time (its previous state is kept). */
  error?: string;
  /** A Runway release or rollback is changing this environment now: its own health wait judges the app. */
  busy?: boolean;
}

export interface PollResult {
  at: string;
  apps: AppObservation[];
  /** Argo CD could not be reached at all: one "cannot watch" warning, not an incident per app. */
  unreachable?: string;
  /** The poll interval from the worker's config (so a config change applies without a restart of the watcher). */
  intervalMs?: number;
}

export interface AppMemory {
  health: string;
  sync: string;
  /** The last finished operation seen; see `sameOperation` for what identifies it. */
  lastOperation?: { finishedAt: string; revision?: string; startedAt?: string; historyId?: number };
  /** When the app turned Degraded/Missing (outside a release), or drifted. */
  badSince?: string;
  driftSince?: string;
  /** The watcher asked Argo CD for a sync (drift: sync): the next operation is Runway's, not an external deploy. */
  ownSyncAt?: string;
}

export interface IncidentContext {
  /** The newest Runway release or rollback that deployed here, and who approved it. */
  lastRelease?: { releaseId: string; image?: string; commit?: string; approvedBy?: string; at?: string };
  /** The version a rollback goes back to (the one before the current), when known. */
  rollbackTo?: { tag: string; image: string };
  links?: { argocd?: string; logs?: string; commit?: string };
}

export interface Incident {
  /** `<service>/<environment>/<kind>/<opened epoch ms>` */
  id: string;
  key: string;
  service: string;
  environment: string;
  application: string;
  instance: string;
  channel?: string;
  kind: 'degraded' | 'drift';
  /** When the bad state began (the first poll that saw it). */
  openedAt: string;
  health: string;
  /** The bad health it had last (Degraded, Missing): `health` turns Healthy on recovery, this stays. */
  badHealth?: string;
  healthMessage?: string;
  sync: string;
  /** What runs, as of opening: the revision the last sync applied (`operationState.syncResult.revision`), or
   * `status.sync.revision` when no operation is known. */
  revision?: string;
  /** `status.sync.revision` at the latest poll: the branch head Argo CD compares against. It moves on with
   * commits that do not change this app (still Synced), so it can be newer than `revision`. Not part of the
   * fingerprint: a head that moved alone is no reason to update the message. */
  syncRevision?: string;
  /** Healthy/Synced again since (the incident closes once this lasted the grace period). */
  recoveredAt?: string;
  closedAt?: string;
  /** Why it closed without recovering (the app left Argo CD or the config). */
  closedReason?: string;
  /** Times it went bad again before it closed (a flapping app updates one message). */
  flaps: number;
  silencedUntil?: string;
  silencedBy?: string;
  messageRef?: { channel: string; ts: string };
  context?: IncidentContext;
  /** What the message shows now; a change means one chat.update. */
  posted?: string;
}

export interface WatchState {
  apps: Record<string, AppMemory>;
  open: Incident[];
  /** Closed incidents, newest first (bounded). */
  recent: Incident[];
  silences: Record<string, { until: string; by: string }>;
  outage?: { since: string; message: string; messageRef?: { channel: string; ts: string }; posted?: boolean };
  lastPollAt?: string;
  watched: number;
}

/** Closed incidents kept (in the state and the memo: what MTTR is computed from). */
export const RECENT_INCIDENTS = 100;

export function emptyWatchState(): WatchState {
  return { apps: {}, open: [], recent: [], silences: {}, watched: 0 };
}

/** A deploy Runway did not start (Argo CD UI, `argocd app sync`, an auto-sync of someone else's commit). */
export interface ExternalOperation {
  target: WatchTarget;
  revision: string;
  phase: string;
  startedAt?: string;
  finishedAt: string;
  initiatedBy?: string;
  image?: string;
}

export type WatchEffect =
  | { kind: 'open'; incidentId: string }
  | { kind: 'publish'; incidentId: string }
  | { kind: 'external'; operation: ExternalOperation }
  | { kind: 'sync'; target: WatchTarget };

const BAD_HEALTH = new Set(['Degraded', 'Missing']);
const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);

const ms = (iso: string) => Date.parse(iso);

/** The fields a person sees in the message: a change means one update, anything else none. */
export function incidentFingerprint(i: Incident): string {
  return JSON.stringify([
    i.health,
    i.healthMessage,
    i.sync,
    i.revision,
    i.flaps,
    !!i.recoveredAt,
    i.closedAt,
    i.silencedUntil,
  ]);
}

export function incidentDurationMs(i: Incident): number | undefined {
  const end = i.recoveredAt ?? i.closedAt;
  return end ? ms(end) - ms(i.openedAt) : undefined;
}

/**
 * Whether the finished operation Argo CD reports is the one seen last poll. Argo CD's times have whole seconds, so
 * two syncs finishing in the same second have one finishedAt; a successful sync also adds a history entry with the
 * next id, which tells them apart. A field the memory lacks (a state from before it was kept) is not a difference.
 */
function sameOperation(seen: AppMemory['lastOperation'], op: WatchedStatus): boolean {
  if (!seen || seen.finishedAt !== op.operationFinishedAt) return false;
  if (seen.startedAt !== undefined && op.operationStartedAt !== undefined && seen.startedAt !== op.operationStartedAt)
    return false;
  return seen.historyId === undefined || seen.historyId === (op.historyId ?? NO_HISTORY);
}

/**
 * History entries newer than the last one seen, except the current operation's own (a successful operation's entry
 * is the last one): each is a sync that finished between two polls, oldest first.
 */
function syncsBefore(status: WatchedStatus, seenId: number | undefined): SyncRecord[] {
  if (seenId === undefined || !status.syncs) return [];
  const newer = status.syncs.filter((s) => s.id > seenId);
  const current = status.operationPhase === 'Succeeded' ? status.historyId : undefined;
  return newer.filter((s) => s.id !== current);
}

/** The last history id seen per app: the poll asks Argo CD's history for what is newer. */
export function historySince(state: WatchState): Record<string, number> {
  const since: Record<string, number> = {};
  for (const [key, app] of Object.entries(state.apps)) {
    const id = app.lastOperation?.historyId;
    if (id !== undefined) since[key] = id;
  }
  return since;
}

function fromHistory(target: WatchTarget, sync: SyncRecord): ExternalOperation {
  return {
    target,
    revision: sync.revision!,
    phase: 'Succeeded',
    startedAt: sync.startedAt,
    finishedAt: sync.deployedAt ?? sync.startedAt ?? '',
    initiatedBy: sync.initiatedBy,
  };
}

/** Argo CD numbers history entries from 0: an app that has none yet is remembered as -1. */
const NO_HISTORY = -1;

/** The service's image among what the app runs. */
export function imageOf(status: WatchedStatus, repository: string): string | undefined {
  return status.images?.find((i) => i.startsWith(`${repository}:`) || i.startsWith(`${repository}@`));
}

function silenced(state: WatchState, key: string, now: number): boolean {
  const s = state.silences[key];
  return !!s && ms(s.until) > now;
}

/**
 * One poll: updates what is remembered per app and the incidents, and says what to do outside (post, update,
 * record an external deploy, sync a drifted app). Pure and deterministic (the workflow runs it).
 */
export function applyPoll(
  prev: WatchState,
  poll: PollResult,
  nowIso: string,
): { state: WatchState; effects: WatchEffect[] } {
  const now = ms(nowIso);
  const state = JSON.parse(JSON.stringify(prev)) as WatchState; // structuredClone is not in the workflow sandbox
  const effects: WatchEffect[] = [];
  state.lastPollAt = nowIso;
  for (const [key, s] of Object.entries(state.silences)) if (ms(s.until) <= now) delete state.silences[key];

  if (poll.unreachable) {
    // Nothing is known about any app: keep every state as it was, and say so once.
    state.outage ??= { since: nowIso, message: poll.unreachable };
    return { state, effects };
  }
  if (state.outage) state.outage = { ...state.outage, message: '' }; // reachable again: the workflow closes it

  const seen = new Set<string>();
  for (const obs of poll.apps) {
    const { target } = obs;
    const key = target.key;
    seen.add(key);
    if (obs.gone) {
      drop(state, key, nowIso, `${target.application} is no longer in Argo CD`);
      continue;
    }
    const status = obs.status;
    if (!status) continue; // a failed read: keep what we knew
    const memory = state.apps[key];
    const op = status.operationFinishedAt && FINISHED.has(status.operationPhase ?? '') ? status : undefined;
    const current: AppMemory = {
      ...memory,
      health: status.health,
      sync: status.sync,
      lastOperation: op
        ? {
            finishedAt: op.operationFinishedAt!,
            revision: op.operationRevision,
            startedAt: op.operationStartedAt,
            historyId: op.historyId ?? NO_HISTORY,
          }
        : memory?.lastOperation,
    };
    state.apps[key] = current;

    // A finished operation we have not seen: Runway's own (busy, or the watcher's sync) or an external deploy.
    // The first look is the baseline: an operation that finished before it is not news.
    const newOp = memory && op && !sameOperation(memory.lastOperation, op);
    if (newOp) {
      // Syncs that came and went between two polls: Argo CD kept them in its history, not in operationState.
      for (const sync of syncsBefore(status, memory.lastOperation?.historyId)) {
        const ours = obs.busy || (!!memory.ownSyncAt && ms(sync.deployedAt ?? '') + 1000 > ms(memory.ownSyncAt));
        if (!ours && sync.revision && (sync.deployedAt ?? sync.startedAt))
          effects.push({ kind: 'external', operation: fromHistory(target, sync) });
      }
    }
    if (newOp && op.operationRevision) {
      // Argo CD's times have whole seconds: an operation that finished in the second we asked is ours too.
      const ours = obs.busy || (!!memory?.ownSyncAt && ms(op.operationFinishedAt!) + 1000 > ms(memory.ownSyncAt));
      if (ours) delete current.ownSyncAt;
      else {
        effects.push({
          kind: 'external',
          operation: {
            target,
            revision: op.operationRevision,
            phase: op.operationPhase!,
            startedAt: op.operationStartedAt,
            finishedAt: op.operationFinishedAt!,
            initiatedBy: op.initiatedBy,
            image: imageOf(status, target.imageRepository),
          },
        });
      }
    }

    if (obs.busy) {
      // A release owns the environment: its health wait judges, and a bad state there is not "between releases".
      delete current.badSince;
      delete current.driftSince;
      continue;
    }
    watchHealth(state, effects, target, status, current, nowIso, now);
    watchDrift(state, effects, target, status, current, nowIso, now);
  }
  // Apps no longer in the config: forget them and close what was open.
  for (const key of Object.keys(state.apps)) {
    if (!seen.has(key)) drop(state, key, nowIso, 'no longer watched (removed from runway.yaml)');
  }
  // One message per incident: posted once (again next poll if Slack failed), then only updated when it changed.
  for (const incident of state.open) {
    if (!incident.messageRef) {
      if (!incident.closedAt) effects.push({ kind: 'open', incidentId: incident.id });
    } else if (incident.posted !== incidentFingerprint(incident))
      effects.push({ kind: 'publish', incidentId: incident.id });
  }
  state.watched = poll.apps.filter((a) => !a.gone).length;
  return { state, effects };
}

function drop(state: WatchState, key: string, nowIso: string, reason: string): void {
  delete state.apps[key];
  for (const incident of state.open.filter((i) => i.key === key)) {
    incident.closedAt = nowIso;
    incident.closedReason = reason;
  }
}

function watchHealth(
  state: WatchState,
  effects: WatchEffect[],
  target: WatchTarget,
  status: WatchedStatus,
  memory: AppMemory,
  nowIso: string,
  now: number,
): void {
  const incident = state.open.find((i) => i.key === target.key && i.kind === 'degraded' && !i.closedAt);
  const bad = BAD_HEALTH.has(status.health) && target.degraded === 'alert';
  if (bad) {
    memory.badSince ??= nowIso;
    if (incident) {
      if (incident.recoveredAt) {
        incident.flaps += 1;
        delete incident.recoveredAt;
      }
      Object.assign(incident, {
        health: status.health,
        badHealth: status.health,
        healthMessage: status.healthMessage,
        sync: status.sync,
        syncRevision: status.syncRevision,
      });
      return;
    }
    if (now - ms(memory.badSince) < target.graceMs || silenced(state, target.key, now)) return;
    open(state, target, 'degraded', memory.badSince, status);
    return;
  }
  delete memory.badSince;
  if (!incident) return;
  Object.assign(incident, {
    health: status.health,
    healthMessage: status.healthMessage,
    sync: status.sync,
    syncRevision: status.syncRevision,
  });
  if (status.health !== 'Healthy' && target.degraded === 'alert') return; // Progressing, Suspended…: not yet
  incident.recoveredAt ??= nowIso;
  if (now - ms(incident.recoveredAt) >= target.graceMs) incident.closedAt = nowIso;
}

function watchDrift(
  state: WatchState,
  effects: WatchEffect[],
  target: WatchTarget,
  status: WatchedStatus,
  memory: AppMemory,
  nowIso: string,
  now: number,
): void {
  const incident = state.open.find((i) => i.key === target.key && i.kind === 'drift' && !i.closedAt);
  // Drift: OutOfSync at the very revision the last (successful) sync applied, with nothing running: the live
  // objects changed, not the repository. OutOfSync at a newer revision is a change waiting to be deployed.
  const drifted =
    status.sync === 'OutOfSync' &&
    !!status.syncRevision &&
    status.operationPhase === 'Succeeded' &&
    status.syncRevision === status.operationRevision;
  if (drifted && target.drift !== 'ignore') {
    memory.driftSince ??= nowIso;
    if (incident) {
      if (incident.recoveredAt) {
        incident.flaps += 1;
        delete incident.recoveredAt;
      }
      Object.assign(incident, {
        health: status.health,
        healthMessage: status.healthMessage,
        sync: status.sync,
        syncRevision: status.syncRevision,
      });
      return;
    }
    if (target.drift === 'sync') {
      // Put it back: one sync per grace period at most, never an incident.
      if (!memory.ownSyncAt || now - ms(memory.ownSyncAt) >= target.graceMs) {
        memory.ownSyncAt = nowIso;
        effects.push({ kind: 'sync', target });
      }
      return;
    }
    if (now - ms(memory.driftSince) < target.graceMs || silenced(state, target.key, now)) return;
    open(state, target, 'drift', memory.driftSince, status);
    return;
  }
  delete memory.driftSince;
  if (!incident) return;
  Object.assign(incident, {
    health: status.health,
    healthMessage: status.healthMessage,
    sync: status.sync,
    syncRevision: status.syncRevision,
  });
  if (status.sync !== 'Synced' && target.drift !== 'ignore') return;
  incident.recoveredAt ??= nowIso;
  if (now - ms(incident.recoveredAt) >= target.graceMs) incident.closedAt = nowIso;
}

function open(
  state: WatchState,
  target: WatchTarget,
  kind: Incident['kind'],
  since: string,
  status: WatchedStatus,
): void {
  const incident: Incident = {
    id: `${target.key}/${kind}/${ms(since)}`,
    key: target.key,
    service: target.service,
    environment: target.environment,
    application: target.application,
    instance: target.instance,
    channel: target.channel,
    kind,
    openedAt: since,
    health: status.health,
    ...(kind === 'degraded' ? { badHealth: status.health } : {}),
    healthMessage: status.healthMessage,
    sync: status.sync,
    revision: status.operationRevision ?? status.syncRevision,
    syncRevision: status.syncRevision,
    flaps: 0,
  };
  state.open.push(incident);
}

/** After the closing message is out: move closed incidents to `recent`. */
export function retireClosed(state: WatchState): void {
  const closed = state.open.filter((i) => i.closedAt && (!i.messageRef || i.posted === incidentFingerprint(i)));
  if (!closed.length) return;
  state.open = state.open.filter((i) => !closed.includes(i));
  state.recent = [...closed.reverse(), ...state.recent].slice(0, RECENT_INCIDENTS);
}

/** A silence from `/runway silence` or the button: no new incident for that app until `until`. */
export function applySilence(
  state: WatchState,
  input: { service: string; environment: string; until: string; by: string },
): void {
  const key = `${input.service}/${input.environment}`;
  state.silences[key] = { until: input.until, by: input.by };
  for (const incident of state.open.filter((i) => i.key === key && !i.closedAt)) {
    incident.silencedUntil = input.until;
    incident.silencedBy = input.by;
  }
}
