// Between releases: one long-lived watcher per Argo CD instance and task queue (id
// `runway-watch/<instance>/<taskQueue>`). Every interval one activity reads every app of the instance (no
// workflow per app); the pure applyPoll (domain/watch.ts) decides what changed; the effects run as activities:
// an incident's one Slack message (posted, updated, closed), an external deploy recorded, a drifted app synced.
// Its state (per-app memory, open incidents, silences) lives in the workflow and is carried over continue-as-new,
// so a killed worker resumes where it was: nothing is posted twice, nothing is forgotten.
import {
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import { PERMANENT_ERROR_TYPES } from '../domain/errors.js';
import {
  applyPoll,
  applySilence,
  emptyWatchState,
  historySince,
  imageOf,
  incidentDurationMs,
  incidentFingerprint,
  retireClosed,
  type Incident,
  type PollResult,
  type WatchEffect,
  type WatchState,
  type WatchTarget,
} from '../domain/watch.js';
import { workflowNow } from './clock.js';
import {
  pollNowSignal,
  silenceSignal,
  watchStateQuery,
  type IncidentSummary,
  type WatcherMemo,
} from './watch-messages.js';

export interface WatcherInput {
  instance: string;
  taskQueue: string;
  intervalMs?: number;
  /** Carried over continue-as-new. */
  state?: WatchState;
  /** Polls before continue-as-new (default 200; tests make it small). */
  pollsPerRun?: number;
}

const DEFAULT_INTERVAL_MS = 30_000;
const POLLS_PER_RUN = 200;
const retry = (maximumAttempts: number) => ({
  initialInterval: 1_000,
  maximumInterval: 20_000,
  maximumAttempts,
  nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES],
});

// Reading 300 apps takes seconds; a failed poll is simply the next one (3 tries, then "unreachable").
const reads = proxyActivities<RunwayActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: retry(3),
});
// Slack and GitLab: each attempt looks before it writes; what still fails is tried again at the next poll.
const writes = proxyActivities<RunwayActivities>({ startToCloseTimeout: '1 minute', retry: retry(5) });

export function summarize(i: Incident): IncidentSummary {
  const duration = incidentDurationMs(i);
  return {
    id: i.id,
    service: i.service,
    environment: i.environment,
    application: i.application,
    instance: i.instance,
    kind: i.kind,
    health: i.health,
    healthMessage: i.healthMessage,
    sync: i.sync,
    openedAt: i.openedAt,
    recoveredAt: i.recoveredAt,
    closedAt: i.closedAt,
    closedReason: i.closedReason,
    durationSeconds: i.closedAt && duration !== undefined ? Math.round(duration / 1000) : undefined,
    flaps: i.flaps,
    silencedUntil: i.silencedUntil,
    lastReleaseId: i.context?.lastRelease?.releaseId,
    approvedBy: i.context?.lastRelease?.approvedBy,
    rollbackTo: i.context?.rollbackTo?.image,
    message: i.messageRef,
  };
}

function details(instance: string, state: WatchState, apps: WatchTarget[]): string {
  const lines = [
    `**Runway watcher of Argo CD \`${instance}\`** — not a release: it follows ${state.watched} app(s) between releases.`,
    `Last poll: ${state.lastPollAt ?? 'not yet'}.`,
  ];
  if (state.outage) lines.push(`⚠️ Cannot watch since ${state.outage.since}: ${state.outage.message || 'recovering'}`);
  if (apps.length) lines.push(`Apps:\n${apps.map((a) => `- \`${a.application}\` (${a.key})`).join('\n')}`);
  lines.push(
    state.open.length
      ? `Open incidents:\n${state.open.map((i) => `- ${i.id}: ${i.health}/${i.sync} since ${i.openedAt}`).join('\n')}`
      : 'No open incident.',
  );
  const silences = Object.entries(state.silences);
  if (silences.length)
    lines.push(`Silenced:\n${silences.map(([k, s]) => `- ${k} until ${s.until} (${s.by})`).join('\n')}`);
  return lines.join('\n\n');
}

export async function watcherWorkflow(input: WatcherInput): Promise<void> {
  let state: WatchState = input.state ?? emptyWatchState();
  let intervalMs = input.intervalMs ?? DEFAULT_INTERVAL_MS;
  let wake = false;
  let targets: WatchTarget[] = [];
  let images: Record<string, string | undefined> = {};
  let memo = '';
  setHandler(silenceSignal, (silence) => {
    applySilence(state, silence);
    wake = true;
  });
  setHandler(pollNowSignal, () => {
    wake = true;
  });
  setHandler(watchStateQuery, () => state);

  const publish = async (incident: Incident, target: WatchTarget | undefined, opening: boolean) => {
    try {
      if (opening && !incident.context) {
        incident.context = await writes
          .incidentContext({ target: target!, openedAt: incident.openedAt, image: images[incident.key] })
          .catch(() => ({}));
      }
      const fingerprint = incidentFingerprint(incident);
      const { messageRef } = await writes.publishIncident(incident);
      if (messageRef) {
        incident.messageRef = messageRef;
        incident.posted = fingerprint;
      }
    } catch (err) {
      log.warn('incident message not posted; next poll tries again', { incident: incident.id, error: String(err) });
    }
  };

  const run = async (effect: WatchEffect) => {
    if (effect.kind === 'open' || effect.kind === 'publish') {
      const incident = state.open.find((i) => i.id === effect.incidentId);
      if (incident)
        await publish(
          incident,
          targets.find((t) => t.key === incident.key),
          effect.kind === 'open',
        );
    } else if (effect.kind === 'external') {
      await writes.recordExternalDeploy(effect.operation).catch((err: unknown) => {
        log.warn('external deploy not recorded', { app: effect.operation.target.key, error: String(err) });
      });
    } else {
      await writes.watchSync({ target: effect.target }).catch((err: unknown) => {
        log.warn('drift sync refused', { app: effect.target.key, error: String(err) });
      });
    }
  };

  const outage = async (now: string) => {
    const o = state.outage;
    if (!o) return;
    try {
      if (o.message && !o.posted) {
        const { messageRef } = await writes.publishWatchOutage({
          instance: input.instance,
          since: o.since,
          message: o.message,
        });
        state.outage = { ...o, messageRef, posted: true };
      } else if (!o.message) {
        if (o.posted) {
          await writes.publishWatchOutage({
            instance: input.instance,
            since: o.since,
            message: '',
            resolvedAt: now,
            messageRef: o.messageRef,
          });
        }
        state.outage = undefined;
      }
    } catch (err) {
      log.warn('watch warning not posted', { error: String(err) });
    }
  };

  const pollsPerRun = input.pollsPerRun ?? POLLS_PER_RUN;
  for (let polls = 0; polls < pollsPerRun && !workflowInfo().continueAsNewSuggested; polls++) {
    wake = false;
    let poll: PollResult;
    try {
      poll = await reads.watchPoll({ instance: input.instance, historySince: historySince(state) });
    } catch (err) {
      poll = { at: workflowNow().toISOString(), apps: [], unreachable: (err as Error).message || String(err) };
    }
    if (poll.intervalMs) intervalMs = poll.intervalMs;
    if (!poll.unreachable) {
      targets = poll.apps.map((a) => a.target);
      images = Object.fromEntries(
        poll.apps.map((a) => [a.target.key, a.status && imageOf(a.status, a.target.imageRepository)]),
      );
    }
    const now = workflowNow().toISOString();
    const { state: next, effects } = applyPoll(state, poll, now);
    state = next;
    await outage(now);
    for (const effect of effects) await run(effect);
    retireClosed(state);

    const content: WatcherMemo = {
      instance: input.instance,
      open: state.open.map(summarize),
      recent: state.recent.map(summarize),
      silences: state.silences,
      outageSince: state.outage?.since,
    };
    const text = JSON.stringify(content);
    if (text !== memo) {
      memo = text;
      upsertMemo({ incidents: content });
    }
    setCurrentDetails(details(input.instance, state, targets));
    await condition(() => wake, intervalMs);
  }
  await continueAsNew<typeof watcherWorkflow>({ ...input, intervalMs, state });
}
