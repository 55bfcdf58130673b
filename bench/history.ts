// Where a release's time goes, from its Temporal history (server timestamps): time queued for and
// running workflow tasks and activities, and the idle gaps in between, by what ended each gap
// (a signal such as lockGranted, or the approval Update).
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The gap that is the wait for a human: excluded from Runway's overhead. */
export const APPROVAL_GAP = 'idle until the approval Update';

export interface Breakdown {
  total: number;
  wftQueue: number;
  wftRun: number;
  actQueue: number;
  actRun: number;
  /** Idle time (nothing scheduled or running) by what ended it. */
  gaps: Map<string, number>;
  workflowTasks: number;
  activities: number;
  events: number;
  closeTime: number;
  /** Per activity type: time queued and running. */
  byActivity: Map<string, { queue: number; run: number; count: number }>;
  /** Schedule-to-start of each workflow task, for the per-task distribution. */
  wftQueues: number[];
}

export async function releaseBreakdown(client: Client, workflowId: string): Promise<Breakdown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return breakdown(history.events ?? []);
}

const id = (n: unknown): number => Number(n);

export function breakdown(events: HistoryEvent[]): Breakdown {
  const at = (e: HistoryEvent) => optionalTsToMs(e.eventTime) ?? 0;
  const byId = new Map(events.map((e) => [id(e.eventId), e]));
  const out: Breakdown = {
    total: 0,
    wftQueue: 0,
    wftRun: 0,
    actQueue: 0,
    actRun: 0,
    gaps: new Map(),
    workflowTasks: 0,
    activities: 0,
    events: events.length,
    closeTime: 0,
    byActivity: new Map(),
    wftQueues: [],
  };
  const busy: { start: number; end: number; startEventId: number }[] = [];
  const startTime = at(events[0]!);
  for (const e of events) {
    const t = at(e);
    const wftStarted = e.workflowTaskStartedEventAttributes;
    if (wftStarted) {
      const queued = t - at(byId.get(id(wftStarted.scheduledEventId))!);
      out.wftQueue += queued;
      out.wftQueues.push(queued);
    }
    const wftDone =
      e.workflowTaskCompletedEventAttributes ??
      e.workflowTaskFailedEventAttributes ??
      e.workflowTaskTimedOutEventAttributes;
    if (wftDone) {
      const started = byId.get(id(wftDone.startedEventId));
      const scheduledId = id(wftDone.scheduledEventId);
      if (started) out.wftRun += t - at(started);
      busy.push({ start: at(byId.get(scheduledId)!), end: t, startEventId: scheduledId });
      out.workflowTasks += 1;
    }
    const actDone =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (actDone) {
      const scheduled = byId.get(id(actDone.scheduledEventId))!;
      const started = 'startedEventId' in actDone ? byId.get(id(actDone.startedEventId)) : undefined;
      const queue = started ? at(started) - at(scheduled) : 0;
      const run = started ? t - at(started) : 0;
      out.actQueue += queue;
      out.actRun += run;
      out.activities += 1;
      const name = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const stat = out.byActivity.get(name) ?? { queue: 0, run: 0, count: 0 };
      out.byActivity.set(name, { queue: stat.queue + queue, run: stat.run + run, count: stat.count + 1 });
      busy.push({ start: at(scheduled), end: t, startEventId: id(actDone.scheduledEventId) });
    }
    if (isClose(e)) out.closeTime = t;
  }
  out.total = out.closeTime - startTime;

  // Idle gaps: between the union of busy intervals, attributed to what woke the workflow.
  busy.sort((a, b) => a.start - b.start);
  let cursor = startTime;
  for (const interval of busy) {
    if (interval.start > cursor) {
      const cause = gapCause(events, byId, interval.startEventId);
      out.gaps.set(cause, (out.gaps.get(cause) ?? 0) + interval.start - cursor);
    }
    cursor = Math.max(cursor, interval.end);
  }
  return out;
}

function isClose(e: HistoryEvent): boolean {
  return Boolean(
    e.workflowExecutionCompletedEventAttributes ??
    e.workflowExecutionFailedEventAttributes ??
    e.workflowExecutionCanceledEventAttributes ??
    e.workflowExecutionTerminatedEventAttributes ??
    e.workflowExecutionTimedOutEventAttributes,
  );
}

/** What scheduled the workflow task that ended an idle gap: a signal, the approval Update, a timer. */
function gapCause(events: HistoryEvent[], byId: Map<number, HistoryEvent>, scheduledEventId: number): string {
  const before = byId.get(scheduledEventId - 1);
  const signal = before?.workflowExecutionSignaledEventAttributes?.signalName;
  if (signal) return `idle until signal ${signal}`;
  if (before?.timerFiredEventAttributes) return 'idle until a timer';
  const index = events.findIndex((e) => id(e.eventId) === scheduledEventId);
  for (const e of events.slice(index + 1, index + 6)) {
    if (e.workflowExecutionUpdateAcceptedEventAttributes) return APPROVAL_GAP;
  }
  return 'server: recording commands between tasks';
}
