// Signals and queries of the watcher (workflows/watcher.ts): the contract with the API and Slack.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { WatchState } from '../domain/watch.js';

/** No new incident for this app until `until` (ISO); an open one shows who silenced it. */
export const silenceSignal =
  defineSignal<[{ service: string; environment: string; until: string; by: string }]>('silence');
/** Poll now instead of at the next interval (after a silence, from tests and the sandbox). */
export const pollNowSignal = defineSignal('pollNow');
export const watchStateQuery = defineQuery<WatchState>('watchState');

/** What the watcher keeps in its memo for the API (`GET /api/incidents` reads it with describe()). */
export interface IncidentSummary {
  id: string;
  service: string;
  environment: string;
  application: string;
  instance: string;
  kind: 'degraded' | 'drift';
  health: string;
  healthMessage?: string;
  sync: string;
  openedAt: string;
  recoveredAt?: string;
  closedAt?: string;
  closedReason?: string;
  durationSeconds?: number;
  flaps: number;
  silencedUntil?: string;
  lastReleaseId?: string;
  approvedBy?: string;
  rollbackTo?: string;
  message?: { channel: string; ts: string };
}

export interface WatcherMemo {
  instance: string;
  open: IncidentSummary[];
  recent: IncidentSummary[];
  silences: Record<string, { until: string; by: string }>;
  outageSince?: string;
}
